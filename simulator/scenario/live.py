"""Playing a scenario while serving (``serve --scenario``, ``POST /simulator/v1/scenario``):
the simulator is reset to the file's declarations, then its timeline runs on the
chosen clock from now and the control API shows the expectations' states.

The player makes its control calls (vehicle states, behaviours, drives) over HTTPS like
any tester.  With ``--control-token`` those need a bearer token: the player presents
this process's own random token, never a caller's; the control API's middleware
accepts it next to the configured one by its SHA-256 only (:data:`PLAYER_TOKEN_DIGEST`).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.config import control_token_digest
from simulator.scenario.player import Player
from simulator.tls import CertStore

if TYPE_CHECKING:
    from simulator.scenario.model import Scenario
    from simulator.store import Simulator

__all__ = ["PLAYER_TOKEN_DIGEST", "play_live"]

# Drawn once per process, handed to players only; what the middleware keeps is its digest.
_PLAYER_TOKEN = secrets.token_urlsafe(32)
PLAYER_TOKEN_DIGEST: bytes = control_token_digest(_PLAYER_TOKEN) or b""


async def play_live(sim: Simulator, url: str, path: Path, text: str, scenario: Scenario) -> Player:
    """Stop the scenario being played, reset to ``scenario`` and play it from now (a body
    the API refuses: ScenarioError, with the simulator left reset and no scenario
    played)."""
    old = sim.player
    if old is not None:
        sim.player = None
        await old.close()
    sim.scenario = scenario
    sim.reset()
    certs = CertStore(sim.settings.certs)
    player = Player(scenario, path, text, sim, url, certs, control_token=_PLAYER_TOKEN)
    try:
        await player.setup()
    except BaseException:
        await player.close()
        raise
    player.start_live()
    sim.player = player
    return player
