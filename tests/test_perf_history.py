"""A vehicle's packed logs, kept in deflated chunks, behave as the list they stand for.

Appending re-deflates the last chunk only and dropping the oldest records the first one
(so months of a living fleet cost time in proportion, see ``bench/fleet.py``); every
read must still answer as a plain list of the records would.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from simulator.fleet.codec import CHUNK, TelemetryLog, TripLog
from simulator.fleet.records import TelemetrySample, Trip

START = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)


def _trip(n: int) -> Trip:
    return Trip(
        id=f"trip-{n}",
        started_at=START + timedelta(hours=n),
        ended_at=START + timedelta(hours=n, minutes=20),
        start_mileage_km=float(n),
        distance_km=n / 10,
        max_speed_kmh=float(n % 130),
    )


def _check(log: TripLog, model: list[Trip]) -> None:
    assert len(log) == len(model)
    assert list(log) == model
    assert log == TripLog(model)
    assert log.tail() == tuple(model[-2:])
    for index in {0, len(model) // 2, len(model) - 1, -1, -len(model)} if model else set():
        assert log[index] == model[index]
    assert log[3:-3:2] == model[3:-3:2]
    with pytest.raises(IndexError):
        log[len(model)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_log_answers_as_the_list_of_its_records(seed: int) -> None:
    rng = random.Random(seed)
    log, n = TripLog(), 0
    model: list[Trip] = []
    for _ in range(400):
        op = rng.random()
        if op < 0.6:  # the fleet's own change: one more trip, the oldest beyond a cap
            keep = rng.choice([None, 5, 2 * CHUNK + 3, 200])
            log.append(_trip(n), keep_last=keep)
            model.append(_trip(n))
            if keep is not None:
                del model[: max(0, len(model) - keep)]
            n += 1
        elif op < 0.75:
            items = [_trip(n + i) for i in range(rng.randrange(0, 2 * CHUNK + 2))]
            log.extend(items)
            model += items
            n += len(items)
        elif op < 0.85:
            keep = rng.randrange(0, len(model) + 2)
            log.trim(keep)
            del model[: max(0, len(model) - keep)]
        elif model:  # change a record in place, or add one under a new id
            index = rng.randrange(len(model))
            changed = _trip(10_000 + n)
            log[index] = changed
            model[index] = changed
            n += 1
            fresh = _trip(20_000 + n)
            log.upsert(fresh)
            model.append(fresh)
        if rng.random() < 0.2:
            _check(log, model)
    _check(log, model)
    assert log.get(model[0].id) == model[0] and log.index_of(model[-1].id) == len(model) - 1


def test_appending_deflates_the_last_chunk_only_and_trimming_none() -> None:
    log = TripLog(_trip(n) for n in range(3 * CHUNK))
    first_chunks = list(log._chunks)
    log.append(_trip(3 * CHUNK))
    assert log._chunks[:3] == first_chunks  # the full chunks are untouched
    assert log._sizes == [CHUNK, CHUNK, CHUNK, 1]
    log.trim(3 * CHUNK)  # the oldest record goes: skipped, nothing re-deflated
    assert log._chunks[:3] == first_chunks and log._skip == 1 and len(log) == 3 * CHUNK
    assert log[0] == _trip(1) and next(iter(log)) == _trip(1) and log.tail()[-1] == _trip(3 * CHUNK)
    log.trim(2 * CHUNK + 1)  # the first chunk is all dropped: it goes
    assert log._chunks[:2] == first_chunks[1:3] and log._sizes == [CHUNK, CHUNK, 1]
    assert log._skip == 0 and log[0] == _trip(CHUNK)


def test_telemetry_logs_chunk_the_same_way() -> None:
    samples = [TelemetrySample(id=f"s{n}", at=START + timedelta(minutes=n)) for n in range(99)]
    log = TelemetryLog()
    for sample in samples:
        log.append(sample, keep_last=70)
    assert list(log) == samples[-70:] and log.tail() == tuple(samples[-2:])
    assert log.packed_size < log.raw_size
