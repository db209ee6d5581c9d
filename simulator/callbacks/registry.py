"""The callbacks of each user and client: what to notify, and whether it is running.

Pure domain: no HTTP here.  The API layer validates a subscription and hands
its canonical form (a JSON-ready dict) to the :class:`CallbackRegistry`; the
callback reads its typed channels from it.  With ``--data-dir`` the registry keeps
every change in its :class:`~simulator.callbacks.persist.CallbackStore`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from simulator.callbacks.model import Callback, CallbackStatus, CallbackType, Owner
from simulator.callbacks.persist import CallbackStore
from simulator.errors import NotFound
from simulator.events import CallbackChanged, EventBus
from simulator.ids import Ids

log = logging.getLogger("simulator.callbacks")


class CallbackRegistry:
    """Callbacks per (user id, client id); another owner's id is as unknown as a wrong one.

    New ids come from ``ids`` (the simulator's seeded ids).
    """

    def __init__(self, ids: Ids, bus: EventBus | None = None) -> None:
        self._by_owner: dict[Owner, dict[str, Callback]] = {}
        self._by_id: dict[str, Callback] = {}
        self._ids = ids
        self._bus = bus or EventBus()
        self._store: CallbackStore | None = None

    # ------------------------------------------------------------ persistence
    def open(self, data_dir: Path) -> None:
        """Keep the callbacks in ``data_dir`` and bring back those stored there."""
        self._store = store = CallbackStore(data_dir)
        for callback, removed in store.load():
            if callback.id in self._by_id:
                continue
            if removed:  # accepted before the rule; never sent anyway
                log.warning("callback %s: header attributes %s dropped: the HTTP layer "
                            "sets them", callback.id, ", ".join(removed))  # fmt: skip
                store.save(callback)
            self.restore(callback)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _changed(self, callback_id: str, change: str) -> None:
        store = self._store
        if store is not None:
            callback = self._by_id.get(callback_id)
            if change == "cleared":
                store.clear()
            elif callback is None:
                store.delete(callback_id)
            else:
                store.save(callback)
        self._bus.publish(CallbackChanged(callback_id, change))  # type: ignore[arg-type]

    def clear(self) -> None:
        self._by_owner.clear()
        self._by_id.clear()
        self._changed("", "cleared")

    def find(self, cbid: str) -> Callback | None:
        """Any owner's callback (for delivery and the control API, never for the API)."""
        return self._by_id.get(cbid)

    def all(self) -> list[Callback]:
        return list(self._by_id.values())

    def restore(self, callback: Callback) -> None:
        """Put back a callback kept across a restart (``--data-dir``); its id is not given
        again."""
        self._ids.claim("callback", (callback.id,))
        self._by_owner.setdefault((callback.user_id, callback.client_id), {})[callback.id] = (
            callback
        )
        self._by_id[callback.id] = callback

    def add(
        self,
        user_id: str,
        client_id: str,
        *,
        label: str,
        types: Iterable[CallbackType],
        subscription: dict[str, Any],
        now: datetime,
    ) -> Callback:
        owned = self._by_owner.setdefault((user_id, client_id), {})
        cbid = self._ids.callback()
        while cbid in self._by_id:  # ids never repeat nor give a claimed one: checked anyway
            cbid = self._ids.callback()
        callback = Callback(
            id=cbid,
            user_id=user_id,
            client_id=client_id,
            label=label,
            types=frozenset(types),
            subscription=subscription,
            status=CallbackStatus.RUNNING,
            created_at=now,
            updated_at=now,
        )
        owned[cbid] = callback
        self._by_id[cbid] = callback
        self._changed(cbid, "created")
        return callback

    def get(self, user_id: str, client_id: str, cbid: str) -> Callback:
        callback = self._by_owner.get((user_id, client_id), {}).get(cbid)
        if callback is None:
            raise NotFound("callback")
        return callback

    def of(
        self, user_id: str, client_id: str, types: Iterable[CallbackType] = ()
    ) -> list[Callback]:
        """The owner's callbacks in creation order, those serving one of ``types`` if given."""
        wanted = frozenset(types)
        return [
            cb
            for cb in self._by_owner.get((user_id, client_id), {}).values()
            if not wanted or cb.types & wanted
        ]

    def replace(
        self,
        user_id: str,
        client_id: str,
        cbid: str,
        *,
        label: str,
        types: Iterable[CallbackType],
        subscription: dict[str, Any],
        now: datetime,
    ) -> Callback:
        callback = self.get(user_id, client_id, cbid)
        callback.define(label, frozenset(types), subscription)
        callback.updated_at = now
        self._changed(cbid, "replaced")
        return callback

    def set_status(
        self, user_id: str, client_id: str, cbid: str, status: CallbackStatus, now: datetime
    ) -> Callback:
        callback = self.get(user_id, client_id, cbid)
        if callback.status != status:
            callback.status = status
            callback.updated_at = now
            self._changed(cbid, "status")
        return callback

    def remove(self, user_id: str, client_id: str, cbid: str) -> Callback:
        callback = self.get(user_id, client_id, cbid)
        del self._by_owner[(user_id, client_id)][cbid]
        del self._by_id[cbid]
        self._changed(cbid, "deleted")
        return callback
