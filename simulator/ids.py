"""The simulator's identifiers, drawn from its seed: the same seed and the same calls give
the same ids.

Callback, event, remote, monitor and alert ids identify; they do not authenticate, so
they come from the seed (``--seed``) rather than from :mod:`secrets` (tokens,
authorization codes, client secrets and the signing key stay there).

Each kind of id has its own :class:`IdStream`: the n-th id of a kind is a keyed
permutation of n (keys drawn from ``random.Random(f"{seed}:ids:{kind}")``), written in
the kind's format.  Being a permutation, a stream never repeats an id, however many it
gives, without remembering them; being keyed by the seed, its ids look random and
differ from one seed to another; and one kind's calls do not shift another's ids (a
monitor created or not leaves the callback ids as they were).

:meth:`Ids.restart` (``Simulator.reset()``) takes every kind but the request ids back
to their first id.  Ids kept in ``--data-dir`` are handed back with :meth:`Ids.claim`
when restored: a claimed id of the same seed moves its stream past it (and so past every
id it gave before that one, stored or not); any other claimed id (another seed's, or
made by an older version) is remembered, and a stream skips it when it comes.

Pure domain: no I/O, no HTTP.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Literal

IdKind = Literal["callback", "event", "remote", "monitor", "alert", "request"]

#: A claimed id whose position in its stream is below this was given by that stream
#: (a run cannot give that many); above it, it came from elsewhere and is only avoided.
_REACH = 1 << 48


def _hex(width: int) -> Callable[[int], str]:
    spec = f"0{width}x"
    return lambda value: format(value, spec)


def _parse_hex(width: int) -> Callable[[str], int | None]:
    def parse(text: str) -> int | None:
        if len(text) != width:
            return None
        try:
            return int(text, 16)
        except ValueError:
            return None

    return parse


def _uuid4(value: int) -> str:
    """122 bits as a version-4, RFC 4122 variant UUID string."""
    bits = (
        ((value >> 74) << 80)  # time_low and time_mid: 48 bits
        | (0x4 << 76)  # version 4
        | (((value >> 62) & 0xFFF) << 64)  # time_hi: 12 bits
        | (0b10 << 62)  # variant
        | (value & ((1 << 62) - 1))  # clock_seq and node: 62 bits
    )
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _parse_uuid4(text: str) -> int | None:
    if [len(part) for part in text.split("-")] != [8, 4, 4, 4, 12]:
        return None
    try:
        bits = int(text.replace("-", ""), 16)
    except ValueError:
        return None
    if (bits >> 76) & 0xF != 0x4 or (bits >> 62) & 0b11 != 0b10:
        return None
    return ((bits >> 80) << 74) | (((bits >> 64) & 0xFFF) << 62) | (bits & ((1 << 62) - 1))


class IdStream:
    """The ids of one kind: ``fmt(permutation(n))`` for n = 0, 1, 2, ... skipping claimed ids.

    The permutation of ``bits``-bit numbers: add a key, then three rounds of an
    xorshift by at least half the width (its own inverse) and a multiplication by an
    odd key (inverted modulo 2**bits), then xor a key (as in MurmurHash's finaliser).
    """

    __slots__ = ("_add", "_fmt", "_inverse", "_mask", "_muls", "_parse", "_shift", "_xor",
                 "claimed", "count")  # fmt: skip

    def __init__(
        self,
        seed: int | str,
        kind: str,
        bits: int,
        fmt: Callable[[int], str],
        parse: Callable[[str], int | None],
    ) -> None:
        rng = random.Random(f"{seed}:ids:{kind}")
        self._mask = (1 << bits) - 1
        self._shift = (bits + 1) // 2
        self._add = rng.getrandbits(bits)
        self._muls = tuple(rng.getrandbits(bits) | 1 for _ in range(3))
        self._inverse = tuple(pow(m, -1, 1 << bits) for m in reversed(self._muls))
        self._xor = rng.getrandbits(bits)
        self._fmt = fmt
        self._parse = parse
        self.count = 0  # the position of the next id
        self.claimed: set[str] = set()

    def _permute(self, n: int) -> int:
        mask, shift = self._mask, self._shift
        x = (n + self._add) & mask
        for mul in self._muls:
            x ^= x >> shift
            x = (x * mul) & mask
        x ^= x >> shift
        return x ^ self._xor

    def _position(self, x: int) -> int:
        mask, shift = self._mask, self._shift
        x ^= self._xor
        x ^= x >> shift
        for inverse in self._inverse:
            x = (x * inverse) & mask
            x ^= x >> shift
        return (x - self._add) & mask

    def next(self) -> str:
        claimed = self.claimed
        while True:
            text = self._fmt(self._permute(self.count))
            self.count += 1
            if text not in claimed:
                return text

    def claim(self, text: str) -> None:
        """``text`` is in use (restored from ``--data-dir``): never give it again.

        An id this stream gave moves it past that id (and every id before it: nothing to
        remember); any other is remembered and skipped.
        """
        value = self._parse(text)
        if value is not None and self._fmt(value) == text:
            position = self._position(value)
            if position < _REACH:
                self.count = max(self.count, position + 1)
                return
        self.claimed.add(text)

    def restart(self) -> None:
        self.count = 0
        self.claimed.clear()


class Ids:
    """Every id the simulator makes, one :class:`IdStream` per kind, from ``seed``.

    Formats (as before, and within the reference's ``([0-9a-fA-F]|-|_)*``): callbacks,
    events, monitors and alerts 32 lower-case hex digits; remote actions 40; request ids
    a version-4 UUID (``X-Request-Id`` and an error's ``uuid``).
    """

    def __init__(self, seed: int | str) -> None:
        self.seed = seed
        hex32 = (128, _hex(32), _parse_hex(32))
        self._streams: dict[IdKind, IdStream] = {
            "callback": IdStream(seed, "callback", *hex32),
            "event": IdStream(seed, "event", *hex32),
            "remote": IdStream(seed, "remote", 160, _hex(40), _parse_hex(40)),
            "monitor": IdStream(seed, "monitor", *hex32),
            "alert": IdStream(seed, "alert", *hex32),
            "request": IdStream(seed, "request", 122, _uuid4, _parse_uuid4),
        }

    def callback(self) -> str:
        """A callback's ``id`` / ``callbackId`` (``cbid``)."""
        return self._streams["callback"].next()

    def event(self) -> str:
        """A notification's ``eventId``."""
        return self._streams["event"].next()

    def remote(self) -> str:
        """A remote action's ``remoteActionId`` (``rid``)."""
        return self._streams["remote"].next()

    def monitor(self) -> str:
        """A monitor's ``monitorId`` / ``mid``."""
        return self._streams["monitor"].next()

    def alert(self) -> str:
        """An alert the control API raises on a vehicle."""
        return self._streams["alert"].next()

    def request(self) -> str:
        """An ``X-Request-Id`` (and the ``uuid`` of an error body)."""
        return self._streams["request"].next()

    def stream(self, kind: IdKind) -> IdStream:
        return self._streams[kind]

    def claim(self, kind: IdKind, ids: Iterable[str]) -> None:
        """Ids of ``kind`` in use (restored): none of them is given again."""
        stream = self._streams[kind]
        for text in ids:
            stream.claim(text)

    def restart(self) -> None:
        """Every kind back to its first id, claims forgotten, except the request ids.

        Request ids are not part of the simulated world (nothing a reset forgets refers
        to them) and name log lines and journal entries: they stay unique in a process.
        """
        for kind, stream in self._streams.items():
            if kind != "request":
                stream.restart()
