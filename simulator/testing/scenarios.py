"""Play a scenario file from Python (a test, a script) and look at what happened.

    result = play_scenario("scenarios/morning-commute.yaml")
    result.assert_passed()                      # AssertionError listing what failed
    result["the lock remote ends Done"].reason  # one expectation, by name
    result.received["app"]                      # the messages receiver "app" accepted

It is ``python -m simulator run`` without the console: a simulator on a free port with a
manual clock (mTLS), the file's receivers beside it, the timeline played as fast as the
machine allows.  A file that is not a valid scenario raises
:class:`simulator.scenario.ScenarioError` (``file:line: field: reason``).  In pytest, the
``ccsim_scenario`` fixture does the same with the session's certificates.
"""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.scenario.judge import FAILED, HELD, Result
from simulator.scenario.receivers import Arrival
from simulator.scenario.run import Outcome, play

__all__ = ["ExpectationResult", "ScenarioResult", "play_scenario", "play_scenario_async"]


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation's verdict."""

    index: int  # its place in the file's ``expect`` list
    name: str  # its ``name``, or one made from its form
    kind: str  # notification, noNotification, delivery or state
    state: str  # held, failed, or open (never decided: the run stopped first)
    reason: str  # why: when it held, or what was seen instead
    decided_at: float | None  # simulated POSIX seconds

    @property
    def held(self) -> bool:
        return self.state == HELD

    @property
    def failed(self) -> bool:
        return self.state != HELD

    def line(self) -> str:
        mark = "held" if self.held else "FAILED" if self.state == FAILED else self.state
        return f"[{self.index}] {mark} {self.name}: {self.reason}"

    @classmethod
    def of(cls, result: Result) -> ExpectationResult:
        return cls(result.index, result.name, result.kind, result.state, result.reason, result.at)


@dataclass(frozen=True)
class ScenarioResult:
    """A played file: each expectation's verdict, what the receivers got, the figures."""

    path: Path
    expectations: list[ExpectationResult]
    received: dict[str, list[dict[str, Any]]]
    """Per receiver (every declared one, maybe empty): the messages it accepted (2xx), in
    order of arrival; a batch counts as its messages."""
    arrivals: list[Arrival] = field(repr=False)
    """Every request or websocket frame each receiver got, refused ones too."""
    wall_seconds: float
    simulated_seconds: float

    @property
    def passed(self) -> bool:
        return all(e.held for e in self.expectations)

    @property
    def failed(self) -> list[ExpectationResult]:
        return [e for e in self.expectations if e.failed]

    def __getitem__(self, name: str) -> ExpectationResult:
        """The expectation called ``name`` (KeyError when none is)."""
        for expectation in self.expectations:
            if expectation.name == name:
                return expectation
        raise KeyError(name)

    def messages(self, receiver: str, *, type: str | None = None) -> list[dict[str, Any]]:
        """What ``receiver`` accepted, only ``Monitor`` or ``Remote`` ones if ``type``."""
        found = self.received[receiver]
        return [m for m in found if type is None or m.get("type") == type]

    def summary(self) -> str:
        held = sum(1 for e in self.expectations if e.held)
        counts = ", ".join(f"{name}: {len(got)}" for name, got in self.received.items())
        return (
            f"{self.path.name}: {held} of {len(self.expectations)} expectations held; "
            f"received {counts or 'nothing (no receivers)'}; "
            f"{self.simulated_seconds:.0f} simulated s in {self.wall_seconds:.2f} s"
        )

    def assert_passed(self) -> None:
        """AssertionError naming every failed expectation and what was seen instead."""
        failed = self.failed
        if not failed:
            return
        lines = [f"{len(failed)} of {len(self.expectations)} expectations failed in {self.path}:"]
        lines += ["  " + e.line() for e in failed]
        lines.append(self.summary())
        raise AssertionError("\n".join(lines))

    @classmethod
    def of(cls, outcome: Outcome, receivers: list[str]) -> ScenarioResult:
        received: dict[str, list[dict[str, Any]]] = {name: [] for name in receivers}
        for arrival in sorted(outcome.arrivals, key=lambda a: a.at):
            if arrival.accepted:
                received.setdefault(arrival.receiver, []).extend(arrival.messages)
        return cls(
            path=outcome.path,
            expectations=[ExpectationResult.of(r) for r in outcome.results],
            received=received,
            arrivals=list(outcome.arrivals),
            wall_seconds=outcome.wall_s,
            simulated_seconds=outcome.simulated_s,
        )


async def play_scenario_async(
    path: str | os.PathLike[str], *, certs: str | os.PathLike[str] | None = None, seed: int = 0
) -> ScenarioResult:
    """:func:`play_scenario` for code already in an event loop."""
    from simulator.scenario import load_scenario

    file = Path(path)
    receivers = [r.name for r in load_scenario(file).receivers]
    outcome = await play(file, certs=Path(certs) if certs is not None else None, seed=seed)
    return ScenarioResult.of(outcome, receivers)


def play_scenario(
    path: str | os.PathLike[str], *, certs: str | os.PathLike[str] | None = None, seed: int = 0
) -> ScenarioResult:
    """Play the scenario file ``path`` headless and judge it.

    ``certs``: a certificate folder to use (made there if missing; default: a throwaway
    one); ``seed``: the simulator's ``--seed``.  Works from plain and from async code (in
    a running event loop it plays on a thread of its own).
    """
    coroutine = play_scenario_async(path, certs=certs, seed=seed)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    box: dict[str, ScenarioResult | BaseException] = {}

    def run() -> None:
        try:
            box["result"] = asyncio.run(coroutine)
        except BaseException as exc:  # handed to the caller's thread
            box["result"] = exc

    thread = threading.Thread(target=run, name="ccsim-scenario")
    thread.start()
    thread.join()
    result = box["result"]
    if isinstance(result, BaseException):
        raise result
    return result
