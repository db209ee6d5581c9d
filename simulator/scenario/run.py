"""``python -m simulator run FILE``: play a scenario headless and judge it.

A simulator is started in this process on a free port with a manual clock (mTLS, the
same server as ``serve``), the file's receivers listen beside it, and the player moves
the clock from timer to timer.  Exit 0 when every expectation holds, 1 when one fails,
2 when the file is not a valid scenario.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from simulator.config import Settings
from simulator.scenario import Scenario, ScenarioError, load_scenario
from simulator.scenario.judge import HELD, Result
from simulator.scenario.player import Player, Progress, StepFailed
from simulator.scenario.receivers import Arrival
from simulator.scenario.report import Console, junit, summary_lines

__all__ = ["Outcome", "play", "run_command"]


@dataclass
class Outcome:
    """A played file: the verdicts, what arrived, the figures."""

    path: Path
    results: list[Result]
    wall_s: float
    simulated_s: float
    arrivals: list[Arrival] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.state == HELD for r in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


def settings_for(path: Path, scenario: Scenario, certs: Path, seed: int) -> Settings:
    return Settings(
        host="127.0.0.1",
        port=0,
        certs=certs,
        seed=seed,
        manual_clock=True,
        speed=1.0,
        scenario=path,
        life=bool(scenario.life),
        start=scenario.start,
    )


async def play(
    path: Path,
    *,
    certs: Path | None = None,
    seed: int = 0,
    progress: Callable[[Progress], None] | None = None,
) -> Outcome:
    """Load, serve, play and judge ``path`` (ScenarioError when the file is bad)."""
    from simulator.server import start  # the server is only needed to play

    scenario = load_scenario(path)
    text = path.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="ccsim-run-") as scratch:
        settings = settings_for(path, scenario, certs or Path(scratch), seed)
        running = await start(settings)
        player = Player(scenario, path, text, running.sim, running.url, running.certs)
        running.sim.player = player
        began = time.perf_counter()
        try:
            await player.setup()
            results = await player.run(progress)
        finally:
            await player.close()
            await running.stop()
        wall = time.perf_counter() - began
    arrivals = [a for r in player.receivers.values() for a in r.arrivals]
    return Outcome(path, results, wall, player.judge.end - player.start, arrivals)


def run_command(
    path: Path,
    *,
    report: Path | None = None,
    quiet: bool = False,
    seed: int = 0,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    import asyncio

    console = None if quiet else Console(err, tty=err.isatty())
    try:
        outcome = asyncio.run(play(path, seed=seed, progress=console))
    except ScenarioError as exc:
        if console is not None:
            console.done()
        print(f"connectedcar-sim run: bad scenario: {exc}", file=err)
        return 2
    except StepFailed as exc:  # the simulator refused what the run needed: it fails
        if console is not None:
            console.done()
        print(f"connectedcar-sim run: {path}: the run stopped: {exc}", file=err)
        return 1
    if console is not None:
        console.done()
    lines = summary_lines(path.name, outcome.results, outcome.wall_s, outcome.simulated_s)
    for line in lines if not quiet else [ln for ln in lines if not ln.startswith("held")]:
        print(line, file=out)
    if report is not None:
        junit(report, path.stem, outcome.results, outcome.wall_s)
    return outcome.exit_code
