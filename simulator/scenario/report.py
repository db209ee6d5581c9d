"""What ``run`` shows: progress while playing (a bar on a terminal, plain lines
otherwise), one line per expectation and a summary at the end, and a JUnit XML file
with one testcase per expectation."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from simulator.scenario.judge import FAILED, HELD, Result
from simulator.scenario.player import Progress

__all__ = ["Console", "junit", "summary_lines"]

BAR = 24


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


class Console:
    """Progress on ``out``: redrawn in place on a terminal, a line per tenth otherwise."""

    def __init__(self, out: TextIO, *, tty: bool) -> None:
        self.out = out
        self.tty = tty
        self._tenth = -1
        self._drawn = False

    def __call__(self, progress: Progress) -> None:
        span = max(progress.end - progress.start, 1e-9)
        share = min(1.0, max(0.0, (progress.now - progress.start) / span))
        text = (
            f"{_when(progress.now)}  steps {progress.steps_done}/{progress.steps}  "
            f"expectations decided {progress.decided}/{progress.expectations}"
        )
        if self.tty:
            filled = round(share * BAR)
            bar = "#" * filled + "." * (BAR - filled)
            self.out.write(f"\r[{bar}] {share * 100:3.0f}%  {text}\x1b[K")
            self._drawn = True
        else:
            tenth = int(share * 10)
            if tenth == self._tenth:
                return
            self._tenth = tenth
            self.out.write(f"{share * 100:3.0f}%  {text}\n")
        self.out.flush()

    def done(self) -> None:
        if self._drawn:
            self.out.write("\n")
            self.out.flush()


def summary_lines(name: str, results: list[Result], wall: float, simulated: float) -> list[str]:
    lines = []
    for result in results:
        mark = "held  " if result.state == HELD else "FAILED"
        lines.append(f"{mark} {result.name}: {result.reason}")
    held = sum(1 for r in results if r.state == HELD)
    failed = sum(1 for r in results if r.state == FAILED)
    rate = simulated / wall if wall > 0 else 0.0
    lines.append(
        f"{name}: {held} held, {failed} failed of {len(results)} expectations; "
        f"{simulated:.0f} simulated s in {wall:.2f} s ({rate:,.0f} simulated s per s)"
    )
    return lines


def junit(path: Path, suite: str, results: list[Result], wall: float) -> None:
    """A JUnit XML report: one testcase per expectation."""
    failures = sum(1 for r in results if r.state != HELD)
    root = ET.Element("testsuites", tests=str(len(results)), failures=str(failures))
    node = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{wall:.3f}",
    )
    for result in results:
        case = ET.SubElement(
            node, "testcase", classname=suite, name=f"[{result.index}] {result.name}", time="0"
        )
        if result.state != HELD:
            failure = ET.SubElement(case, "failure", message=result.reason, type=result.kind)
            failure.text = result.reason
        else:
            ET.SubElement(case, "system-out").text = result.reason
    tree = ET.ElementTree(root)
    ET.indent(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
