"""Playing a scenario while serving (``serve --scenario``, ``POST /simulator/v1/scenario``):
the simulator is reset to the file's declarations, then its timeline runs on the
chosen clock from now and the control API shows the expectations' states."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from simulator.scenario.player import Player
from simulator.tls import CertStore

if TYPE_CHECKING:
    from simulator.scenario.model import Scenario
    from simulator.store import Simulator

__all__ = ["play_live"]


async def play_live(
    sim: Simulator,
    url: str,
    path: Path,
    text: str,
    scenario: Scenario,
    *,
    control_token: str | None = None,
) -> Player:
    """Stop the scenario being played, reset to ``scenario`` and play it from now (a body
    the API refuses: ScenarioError, with the simulator left reset)."""
    old = sim.player
    if old is not None:
        sim.player = None
        await old.close()
    sim.scenario = scenario
    sim.reset()
    player = Player(
        scenario, path, text, sim, url, CertStore(sim.settings.certs), control_token=control_token
    )
    try:
        await player.setup()
    except BaseException:
        await player.close()
        raise
    player.start_live()
    sim.player = player
    return player
