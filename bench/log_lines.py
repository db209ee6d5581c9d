"""The hot log lines: CPU per line as ``serve`` writes them, beside plain :mod:`logging`.

    python bench/log_lines.py [--lines 50000] [--format text|json] [--rounds 3]

``serve``'s output is set up as ``serve`` sets it (:func:`simulator.logs.configure_logging`,
stdout once ready), with stdout going to /dev/null. Two kinds of line are measured:
a request line (``log_request``, one per API request) and a batch of 100 delivery lines
(``log_deliveries``, one journal write of a batched delivery). Each figure is the
process's CPU (the caller and the writer thread) per line, from the first line to the
moment the writer has written the last one (each measure has its own output, closed at
its end).

The baseline is the same request line through plain :mod:`logging`, measured in the
same run: a ``StreamHandler`` on /dev/null with a formatter that prints the same fields,
written in the caller's thread. Rounds alternate the two; medians are printed.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time

from simulator import logs
from simulator.api.journal import RequestRecord
from simulator.delivery.journal_log import log_deliveries
from simulator.events import DeliveriesAttempted, DeliveryAttempted

RECORD = RequestRecord(
    "6f1c2b9e-1d2a-4c1b-9a7e-0f1e2d3c4b5a",
    1_767_600_012.5,
    "GET",
    "/connectedcar/v4/user/vehicles/abcdef0123456789/status?client_id=demo-client",
    200,
    0.42,
    "demo-client",
    "demo@example.com",
    None,
)
ATTEMPT = DeliveryAttempted(
    "e" * 32,
    "c" * 32,
    "VR3UPHNKSKT000001",
    "Remote",
    "webhook",
    "https://localhost:4443/hook?token=abc",
    1_767_600_012.5,
    "delivered",
    1,
    200,
    None,
    3.2,
    None,
    100,
)
BATCH = DeliveriesAttempted(tuple([ATTEMPT] * 100))


def _output(form: str) -> logs.QueuedOutput:
    """A new ``serve`` output (its own writer thread), stdout ready."""
    logs.configure_logging(form)
    logs.after_ready()
    output = logging.getLogger().handlers[0]
    assert isinstance(output, logs.QueuedOutput)
    return output


def serve_output(form: str, lines: int, batched: bool) -> tuple[float, int]:
    """CPU per line from the first line until the writer has written them all (``close``
    joins it), and the lines dropped."""
    output = _output(form)
    http_log = logging.getLogger("ccsim.http")
    batches = max(1, lines // len(BATCH.attempts))
    started = time.process_time()
    if batched:
        for _ in range(batches):
            log_deliveries(BATCH)
        lines = batches * len(BATCH.attempts)
    else:
        for _ in range(lines):
            logs.log_request(http_log, RECORD)
    output.close()
    return (time.process_time() - started) / lines, output.dropped


def plain_request(logger: logging.Logger, lines: int) -> float:
    started = time.process_time()
    for _ in range(lines):
        logger.info(
            "%s %s %d %.1fms req=%s",
            RECORD.method,
            RECORD.target,
            RECORD.status,
            RECORD.duration_ms,
            RECORD.request_id,
        )
    return (time.process_time() - started) / lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()

    out = sys.stdout
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the process's stdout until the end)

    plain = logging.getLogger("bench.plain")
    plain.propagate = False
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    plain.addHandler(handler)
    plain.setLevel(logging.INFO)

    request, batch, baseline, dropped = [], [], [], 0
    for _ in range(opts.rounds):
        for figures, batched in ((request, False), (batch, True)):
            per_line, lost = serve_output(opts.format, opts.lines, batched)
            figures.append(per_line)
            dropped += lost
        baseline.append(plain_request(plain, opts.lines))
    sys.stdout = out
    us = 1e6
    base = statistics.median(baseline)
    print(f"log lines, {opts.format} form, {opts.lines:,} per measure, medians of {opts.rounds}")
    print(f"plain logging, request line (baseline): {us * base:6.2f} us of CPU per line")
    for name, figures in (("request line", request), ("delivery batch of 100", batch)):
        ours = statistics.median(figures)
        print(
            f"serve's output, {name + ':':<22} {us * ours:6.2f} us of CPU per line "
            f"(writer included), {ours / base:.2f}x the baseline"
        )
    print(f"lines dropped: {dropped}")


if __name__ == "__main__":
    main()
