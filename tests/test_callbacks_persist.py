"""``--data-dir``: the callbacks package keeps the callbacks in ``callbacks.sqlite3``; a
data dir written when the delivery store held them is moved there at the next start."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from conftest import API, ApiClient

from simulator.testing import ThreadedSimulator


def _call(api: ApiClient, method: str, path: str, body: Any = None) -> Any:
    answer = api.raw(
        method, API + path, params={"client_id": "demo-client"}, headers=api.headers(), json=body
    )
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def _create(api: ApiClient, label: str) -> str:
    body = {
        "label": label,
        "type": ["Remote"],
        "callback": {"webhook": {"target": "https://127.0.0.1:9/in", "name": "w"}},
    }
    cbid: str = _call(api, "POST", "/user/callbacks", body)["callbackId"]
    return cbid


def _listed(server: ThreadedSimulator) -> dict[str, tuple[str, str]]:
    """Each callback served after a restart: its label and status."""
    api = ApiClient(server)
    try:
        page = _call(api, "GET", "/user/callbacks")
        return {cb["id"]: (cb["label"], cb["status"]) for cb in page["_embedded"]["callbacks"]}
    finally:
        api.session.close()


def _tables(db_file: Path) -> set[str]:
    db = sqlite3.connect(db_file)
    try:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    finally:
        db.close()


def test_callbacks_survive_a_restart_with_their_changes_in_creation_order(
    ccsim_certs: Path, tmp_path: Path
) -> None:
    with ThreadedSimulator(ccsim_certs, manual_clock=True, data_dir=tmp_path) as first:
        api = ApiClient(first)
        paused, kept, gone = (_create(api, name) for name in ("paused", "kept", "gone"))
        _call(api, "PUT", f"/user/callbacks/{paused}/status", {"status": "Paused"})
        _call(api, "DELETE", f"/user/callbacks/{gone}")
        api.session.close()
    assert oct((tmp_path / "callbacks.sqlite3").stat().st_mode & 0o777) == "0o600"
    assert "callbacks" not in _tables(tmp_path / "delivery.sqlite3")

    with ThreadedSimulator(ccsim_certs, manual_clock=True, data_dir=tmp_path) as second:
        listed = _listed(second)
        # the paused one was saved again after "kept" was created: it keeps its place
        assert list(listed.items()) == [(paused, ("paused", "Paused")), (kept, ("kept", "Running"))]
        api = ApiClient(second)
        fresh = _create(api, "fresh")  # a restored id is never given again
        api.session.close()
        assert fresh not in (kept, paused)


def test_an_older_data_dir_has_its_callbacks_moved_out_of_the_delivery_store(
    ccsim_certs: Path, tmp_path: Path
) -> None:
    with ThreadedSimulator(ccsim_certs, manual_clock=True, data_dir=tmp_path) as first:
        api = ApiClient(first)
        cbids = [_create(api, name) for name in ("one", "two")]
        api.session.close()
    # the layout of a data dir written before: the rows in delivery.sqlite3, no own file
    new = sqlite3.connect(tmp_path / "callbacks.sqlite3")
    rows = new.execute("SELECT id, record FROM callbacks ORDER BY rowid").fetchall()
    new.close()
    for leftover in tmp_path.glob("callbacks.sqlite3*"):
        leftover.unlink()
    old = sqlite3.connect(tmp_path / "delivery.sqlite3")
    with old:
        old.execute("CREATE TABLE callbacks (id TEXT PRIMARY KEY, record TEXT NOT NULL)")
        old.executemany("INSERT INTO callbacks VALUES (?, ?)", rows)
    old.close()

    with ThreadedSimulator(ccsim_certs, manual_clock=True, data_dir=tmp_path) as second:
        assert list(_listed(second)) == cbids
    assert "callbacks" not in _tables(tmp_path / "delivery.sqlite3")
    with ThreadedSimulator(ccsim_certs, manual_clock=True, data_dir=tmp_path) as third:
        assert _listed(third) == {cbids[0]: ("one", "Running"), cbids[1]: ("two", "Running")}
