"""Scenario runs: wall time and simulated seconds per wall second of ``run``.

    python bench/scenarios.py [--rounds 3]

Three measures, each beside a baseline measured in the same run (medians of the
rounds):

* ``scenarios/fleet-50-day.yaml``: 50 vehicles, the living fleet on for 24 simulated
  hours, a monitor on each.  Target: under 10 s.  Baseline: the same fleet's 24 hours
  with the clock advanced in one call and no scenario (no receiver, no monitor, no
  player stepping timer to timer): what the player and its monitors add.
* ``scenarios/dead-letter-replay.yaml``: a target answering 503 for 73 simulated hours
  until its events are dead-lettered (about 26,000 real HTTPS attempts, every 10 s),
  then replayed.  Target: under 30 s.  Baseline: the same number of HTTPS POSTs made
  one after the other by a bare aiohttp client to a bare aiohttp server answering 503
  on one keep-alive connection: the floor for those requests on this machine.
* every file of ``scenarios/``, one after the other (each starts its own simulator).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.clock import Clock, ClockMode  # noqa: E402
from simulator.config import Settings  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402
from simulator.scenario.run import Outcome, play  # noqa: E402
from simulator.store import Simulator  # noqa: E402
from simulator.tls import CertStore  # noqa: E402

FLEET = ROOT / "scenarios" / "fleet-50-day.yaml"
OUTAGE = ROOT / "scenarios" / "dead-letter-replay.yaml"


def _timed(coro: Callable[[], Coroutine[Any, Any, Any]]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = asyncio.run(coro())
    return time.perf_counter() - began, result


async def _play(path: Path, certs: Path) -> Outcome:
    outcome = await play(path, certs=certs)
    failed = [r.name for r in outcome.results if not r.held]
    if failed:
        raise SystemExit(f"{path.name}: expectations failed: {failed}")
    return outcome


def fleet_baseline(certs: Path) -> float:
    """The fleet's 24 h advanced in one call, no scenario: wall seconds."""
    scenario = load_scenario(FLEET)
    settings = Settings(certs=certs, manual_clock=True, life=True, start=scenario.start)
    clock = Clock(ClockMode.MANUAL, start=scenario.start)
    sim = Simulator(settings, clock)
    sim.scenario = scenario.model_copy(update={"monitors": [], "callbacks": [], "receivers": []})
    sim.reset()
    began = time.perf_counter()
    clock.advance(scenario.duration.total_seconds())
    return time.perf_counter() - began


async def _bare_posts(certs: Path, count: int) -> float:
    """``count`` sequential HTTPS POSTs answered 503, one keep-alive connection."""
    store = CertStore(certs)

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=503)

    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=store.webhook_server_context())
    await site.start()
    port = runner.addresses[0][1]
    body = b'{"type": "Remote", "remoteEvent": {}}'
    connector = aiohttp.TCPConnector(ssl=store.outbound_context(), limit=1)
    began = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(count):
            async with session.post(f"https://127.0.0.1:{port}/app", data=body) as response:
                await response.read()
    spent = time.perf_counter() - began
    await runner.cleanup()
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ccsim-bench-") as scratch:
        certs = Path(scratch)
        CertStore(certs).ensure()
        fleet, fleet_base, outage, outage_base, attempts = [], [], [], [], 0
        for _ in range(args.rounds):
            wall, outcome = _timed(lambda: _play(FLEET, certs))
            fleet.append((wall, outcome.simulated_s))
            fleet_base.append(fleet_baseline(certs))
            wall, outcome = _timed(lambda: _play(OUTAGE, certs))
            outage.append((wall, outcome.simulated_s))
            attempts = sum(1 for a in outcome.arrivals if not a.accepted)
            outage_base.append(asyncio.run(_bare_posts(certs, attempts)))
        every: list[tuple[str, float, float]] = []
        for path in sorted((ROOT / "scenarios").glob("*.yaml")):
            wall, outcome = _timed(lambda path=path: _play(path, certs))  # type: ignore[misc]
            every.append((path.name, wall, outcome.simulated_s))

    def row(name: str, runs: list[tuple[float, float]], base: list[float], target: str) -> None:
        wall = statistics.median(w for w, _ in runs)
        simulated = runs[0][1]
        print(
            f"{name:<34} {wall:8.2f} s {simulated / wall:12,.0f} sim s/s   "
            f"baseline {statistics.median(base):6.2f} s   target {target}"
        )

    print(f"rounds: {args.rounds} (medians)")
    row("fleet-50-day (24 h, 50 vehicles)", fleet, fleet_base, "< 10 s")
    row(f"dead-letter-replay ({attempts} 503s)", outage, outage_base, "< 30 s")
    total = sum(w for _, w, _ in every)
    print(f"\nevery file of scenarios/ ({len(every)}): {total:.2f} s")
    for name, wall, simulated in every:
        print(f"  {name:<30} {wall:7.2f} s {simulated:10,.0f} sim s {simulated / wall:12,.0f}/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
