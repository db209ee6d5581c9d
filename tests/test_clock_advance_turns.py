"""A long clock advance (months of a living fleet) does not hold the server: other
requests are answered on the way and see the simulator as it is then; advances run one
at a time; a reset under way ends one where it is."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.testing import ThreadedSimulator

START = datetime.fromisoformat("2026-03-02T06:00:00+00:00")
DAYS = 10


@pytest.fixture
def living(ccsim_certs: Path) -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(
        ccsim_certs, manual_clock=True, life=True, vehicles=6, start=START
    ) as server:
        yield server


def _session(server: ThreadedSimulator) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.cert = (str(server.certs.client_cert), str(server.certs.client_key))
    session.verify = str(server.certs.ca)
    return session


def _now(session: requests.Session, server: ThreadedSimulator) -> datetime:
    answer = session.get(server.url + "/simulator/v1/clock", timeout=30)
    assert answer.status_code == 200, answer.text
    return datetime.fromisoformat(answer.json()["now"].replace("Z", "+00:00"))


def _advance_in_background(
    server: ThreadedSimulator, seconds: float, answers: list[Any]
) -> threading.Thread:
    def run() -> None:
        with _session(server) as session:
            answer = session.post(server.url + "/simulator/v1/clock/advance",
                                  json={"seconds": seconds}, timeout=300)  # fmt: skip
            answers.append((answer.status_code, answer.json()))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_requests_are_answered_during_a_long_advance(living: ThreadedSimulator) -> None:
    answers: list[Any] = []
    target = START + timedelta(days=DAYS)
    with _session(living) as session:
        thread = _advance_in_background(living, DAYS * 86400, answers)
        seen = []
        while thread.is_alive():
            seen.append(_now(session, living))
        thread.join()
    assert answers and answers[0][0] == 200
    assert datetime.fromisoformat(answers[0][1]["now"].replace("Z", "+00:00")) == target
    # answered while the advance was under way, at an instant on its way
    assert any(START < moment < target for moment in seen), seen[:3]


def test_advances_run_one_at_a_time(living: ThreadedSimulator) -> None:
    first: list[Any] = []
    second: list[Any] = []
    with _session(living) as session:
        a = _advance_in_background(living, 8 * 86400, first)
        while _now(session, living) == START:  # the first one is under way
            pass
        b = _advance_in_background(living, 3 * 86400, second)
        a.join()
        b.join()
        assert _now(session, living) == START + timedelta(days=11)  # one after the other
    assert first[0][0] == 200 and second[0][0] == 200


def test_a_reset_ends_an_advance_under_way(living: ThreadedSimulator) -> None:
    answers: list[Any] = []
    days = 4 * DAYS  # long enough for the reset to come well before its end
    target = START + timedelta(days=days)
    with _session(living) as session:
        thread = _advance_in_background(living, days * 86400, answers)
        while _now(session, living) == START:
            pass
        reset = session.post(living.url + "/simulator/v1/reset", timeout=30)
        assert reset.status_code == 200, reset.text
        at_reset = _now(session, living)
        thread.join()
        after = _now(session, living)
    assert answers[0][0] == 200
    assert START < at_reset < target
    assert after < target  # the advance stopped at the reset, not run on the new fleet
