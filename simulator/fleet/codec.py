"""The packed histories of a vehicle: :class:`TripLog` and :class:`TelemetryLog` keep
their records' bytes in one deflated blob each and behave as read-only sequences of
frozen :class:`~simulator.fleet.records.Trip` / :class:`~simulator.fleet.records.TelemetrySample`
objects.

Each record is packed with a fixed :mod:`struct` layout (times in microseconds since the
epoch, enums as small ints, sets as bitmasks, None as a sentinel) followed by its
variable parts (id, faults, locked states, waypoints)."""

from __future__ import annotations

import math
import struct
import zlib
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Generic, TypeVar, overload

from simulator.fleet.enums import (
    AlarmActivation,
    ChargingStatus,
    DoorId,
    DrivingMode,
    FixStatus,
    GearRatio,
    IgnitionType,
    LockedState,
    PositionKind,
    PowertrainStatus,
    PrivacyState,
    TelemetryKind,
    TripFaultCause,
    TripFaultKind,
)
from simulator.fleet.records import TelemetrySample, Trip, TripFault
from simulator.fleet.values import EnergyLevel, Position

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_NO_TIME = -(2**63)
_NO_INT = -(2**31)
_NO_ENUM = 255
_NAN = float("nan")


def _time_in(value: datetime | None) -> int:
    if value is None:
        return _NO_TIME
    if value.tzinfo is None:
        raise ValueError("naive datetime in domain state")
    return (value - _EPOCH) // _MICROSECOND


def _time_out(value: int) -> datetime | None:
    return None if value == _NO_TIME else _EPOCH + value * _MICROSECOND


def _time_out_req(value: int) -> datetime:
    out = _time_out(value)
    if out is None:
        raise ValueError("corrupt record: missing time")
    return out


def _float_in(value: float | None) -> float:
    return _NAN if value is None else value


def _float_out(value: float) -> float | None:
    return None if math.isnan(value) else value


def _int_in(value: int | None) -> int:
    return _NO_INT if value is None else value


def _int_out(value: int) -> int | None:
    return None if value == _NO_INT else value


_E = TypeVar("_E", bound=StrEnum)


class _EnumCodec(Generic[_E]):
    """Maps the members of an enum to small ints (255 = None) and sets to bitmasks."""

    __slots__ = ("_index", "_members")

    def __init__(self, enum: type[_E]) -> None:
        self._members: tuple[_E, ...] = tuple(enum)
        self._index: dict[_E, int] = {m: i for i, m in enumerate(self._members)}

    def code(self, member: _E | None) -> int:
        return _NO_ENUM if member is None else self._index[member]

    def member(self, code: int) -> _E | None:
        return None if code == _NO_ENUM else self._members[code]

    def member_req(self, code: int) -> _E:
        return self._members[code]

    def mask(self, members: Iterable[_E]) -> int:
        out = 0
        for m in members:
            out |= 1 << self._index[m]
        return out

    def unmask(self, mask: int) -> frozenset[_E]:
        return frozenset(m for i, m in enumerate(self._members) if mask >> i & 1)


_FIX = _EnumCodec(FixStatus)
_POSITION_KIND = _EnumCodec(PositionKind)
_FAULT = _EnumCodec(TripFaultKind)
_FAULT_CAUSE = _EnumCodec(TripFaultCause)
_KIND = _EnumCodec(TelemetryKind)
_PRIVACY = _EnumCodec(PrivacyState)
_IGNITION = _EnumCodec(IgnitionType)
_POWERTRAIN = _EnumCodec(PowertrainStatus)
_CHARGING = _EnumCodec(ChargingStatus)
_MODE = _EnumCodec(DrivingMode)
_GEAR = _EnumCodec(GearRatio)
_ALARM = _EnumCodec(AlarmActivation)
_LOCK = _EnumCodec(LockedState)
_DOOR = _EnumCodec(DoorId)

# at, lon, lat, alt, heading, signal quality, fix status, kind
_POSITION = struct.Struct("<qdddHBBB")
# started, ended, start mileage, distance, max speed, electric distance,
# fuel start level/autonomy, end level/autonomy, used,
# electric start level/autonomy, end level/autonomy, used, #faults, #waypoints
_TRIP = struct.Struct("<qqdddd" + "dHdHd" + "dHdHd" + "BH")
# at, kinds, privacy, ignition, powertrain, flags, charging, mode, gear, alarm, doors,
# speed, acceleration, mileage, voltage, air, fuel level/autonomy, electric level/autonomy,
# oil, coolant, maintenance days, maintenance km, #locked states
_SAMPLE = struct.Struct("<qHBBBBBBBBB" + "ddddd" + "dHdH" + "dd" + "id" + "B")
_FLAG_MOVING, _FLAG_DAYTIME, _FLAG_PLUGGED, _FLAG_POSITION = 1, 2, 4, 8


_HEX_ID_MARK = 0xFF  # a 32-hex-digit id stored as its 16 bytes


def _pack_id(value: str) -> bytes:
    if len(value) == 32:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            pass
        else:
            if raw.hex() == value:  # lower-case hex: store compactly
                return bytes((_HEX_ID_MARK,)) + raw
    raw = value.encode("ascii")
    if len(raw) >= _HEX_ID_MARK:
        raise ValueError("record id longer than 254 characters")
    return bytes((len(raw),)) + raw


def _unpack_id(raw: bytes, offset: int) -> tuple[str, int]:
    size = raw[offset]
    if size == _HEX_ID_MARK:
        return raw[offset + 1 : offset + 17].hex(), offset + 17
    end = offset + 1 + size
    return raw[offset + 1 : end].decode("ascii"), end


def _pack_position(p: Position) -> bytes:
    return _POSITION.pack(
        _time_in(p.at),
        p.lon,
        p.lat,
        _float_in(p.alt),
        p.heading,
        p.signal_quality,
        _FIX.code(p.fix_status),
        _POSITION_KIND.code(p.kind),
    )


def _unpack_position(raw: bytes, offset: int) -> Position:
    at, lon, lat, alt, heading, signal, fix, kind = _POSITION.unpack_from(raw, offset)
    return Position(
        lon=lon,
        lat=lat,
        at=_time_out_req(at),
        alt=_float_out(alt),
        heading=heading,
        signal_quality=signal,
        fix_status=_FIX.member(fix),
        kind=_POSITION_KIND.member_req(kind),
    )


def _level_in(e: EnergyLevel | None) -> tuple[float, int]:
    return (_NAN, 0) if e is None else (e.level, min(max(e.autonomy_km, 0), 65535))


def _level_out(level: float, autonomy: int) -> EnergyLevel | None:
    return None if math.isnan(level) else EnergyLevel(level=level, autonomy_km=autonomy)


def _pack_trip(t: Trip) -> bytes:
    parts = [
        _pack_id(t.id),
        _TRIP.pack(
            _time_in(t.started_at),
            _time_in(t.ended_at),
            t.start_mileage_km,
            t.distance_km,
            t.max_speed_kmh,
            t.electric_distance_km,
            *_level_in(t.fuel_start),
            *_level_in(t.fuel_end),
            _float_in(t.fuel_used),
            *_level_in(t.electric_start),
            *_level_in(t.electric_end),
            _float_in(t.electric_used_kwh),
            len(t.faults),
            len(t.waypoints),
        ),
    ]
    parts.extend(bytes((_FAULT.code(f.fault), _FAULT_CAUSE.code(f.cause))) for f in t.faults)
    parts.extend(_pack_position(p) for p in t.waypoints)
    return b"".join(parts)


def _unpack_trip(raw: bytes) -> Trip:
    trip_id, offset = _unpack_id(raw, 0)
    (
        started,
        ended,
        start_mileage,
        distance,
        max_speed,
        electric_distance,
        fs_level,
        fs_aut,
        fe_level,
        fe_aut,
        fuel_used,
        es_level,
        es_aut,
        ee_level,
        ee_aut,
        electric_used,
        n_faults,
        n_waypoints,
    ) = _TRIP.unpack_from(raw, offset)
    offset += _TRIP.size
    faults = tuple(
        TripFault(
            fault=_FAULT.member_req(raw[offset + 2 * i]),
            cause=_FAULT_CAUSE.member(raw[offset + 2 * i + 1]),
        )
        for i in range(n_faults)
    )
    offset += 2 * n_faults
    size = _POSITION.size
    waypoints = tuple(_unpack_position(raw, offset + i * size) for i in range(n_waypoints))
    return Trip(
        id=trip_id,
        started_at=_time_out_req(started),
        ended_at=_time_out(ended),
        start_mileage_km=start_mileage,
        distance_km=distance,
        max_speed_kmh=max_speed,
        electric_distance_km=electric_distance,
        fuel_start=_level_out(fs_level, fs_aut),
        fuel_end=_level_out(fe_level, fe_aut),
        fuel_used=_float_out(fuel_used),
        electric_start=_level_out(es_level, es_aut),
        electric_end=_level_out(ee_level, ee_aut),
        electric_used_kwh=_float_out(electric_used),
        waypoints=waypoints,
        faults=faults,
    )


def _pack_sample(s: TelemetrySample) -> bytes:
    flags = (
        (_FLAG_MOVING if s.moving else 0)
        | (_FLAG_DAYTIME if s.daytime else 0)
        | (_FLAG_PLUGGED if s.plugged else 0)
        | (_FLAG_POSITION if s.position is not None else 0)
    )
    parts = [
        _pack_id(s.id),
        _SAMPLE.pack(
            _time_in(s.at),
            _KIND.mask(s.kinds),
            _PRIVACY.code(s.privacy),
            _IGNITION.code(s.ignition),
            _POWERTRAIN.code(s.powertrain),
            flags,
            _CHARGING.code(s.charging_status),
            _MODE.code(s.driving_mode),
            _GEAR.code(s.gear),
            _ALARM.code(s.alarm_activation),
            _DOOR.mask(s.open_doors),
            s.speed_kmh,
            s.acceleration,
            s.mileage_km,
            s.battery_voltage,
            s.air_temp_c,
            *_level_in(s.fuel),
            *_level_in(s.electric),
            _float_in(s.oil_temp_c),
            _float_in(s.coolant_temp_c),
            _int_in(s.days_before_maintenance),
            _float_in(s.mileage_before_maintenance_km),
            len(s.locked_states),
        ),
        bytes(_LOCK.code(state) for state in s.locked_states),
        _pack_id(s.trip_id or ""),
    ]
    if s.position is not None:
        parts.append(_pack_position(s.position))
    return b"".join(parts)


def _unpack_sample(raw: bytes) -> TelemetrySample:
    sample_id, offset = _unpack_id(raw, 0)
    (
        at,
        kinds,
        privacy,
        ignition,
        powertrain,
        flags,
        charging,
        mode,
        gear,
        alarm,
        doors,
        speed,
        acceleration,
        mileage,
        voltage,
        air,
        fuel_level,
        fuel_aut,
        el_level,
        el_aut,
        oil,
        coolant,
        maint_days,
        maint_km,
        n_locked,
    ) = _SAMPLE.unpack_from(raw, offset)
    offset += _SAMPLE.size
    locked = tuple(_LOCK.member_req(code) for code in raw[offset : offset + n_locked])
    trip_id, offset = _unpack_id(raw, offset + n_locked)
    position = _unpack_position(raw, offset) if flags & _FLAG_POSITION else None
    return TelemetrySample(
        id=sample_id,
        at=_time_out_req(at),
        kinds=_KIND.unmask(kinds),
        trip_id=trip_id or None,
        position=position,
        privacy=_PRIVACY.member_req(privacy),
        ignition=_IGNITION.member_req(ignition),
        powertrain=_POWERTRAIN.member_req(powertrain),
        speed_kmh=speed,
        acceleration=acceleration,
        moving=bool(flags & _FLAG_MOVING),
        mileage_km=mileage,
        battery_voltage=voltage,
        air_temp_c=air,
        daytime=bool(flags & _FLAG_DAYTIME),
        locked_states=locked,
        open_doors=_DOOR.unmask(doors),
        fuel=_level_out(fuel_level, fuel_aut),
        electric=_level_out(el_level, el_aut),
        plugged=bool(flags & _FLAG_PLUGGED),
        charging_status=_CHARGING.member(charging),
        oil_temp_c=_float_out(oil),
        coolant_temp_c=_float_out(coolant),
        driving_mode=_MODE.member_req(mode),
        gear=_GEAR.member(gear),
        alarm_activation=_ALARM.member_req(alarm),
        days_before_maintenance=_int_out(maint_days),
        mileage_before_maintenance_km=_float_out(maint_km),
    )


_T = TypeVar("_T", Trip, TelemetrySample)

_LENGTH = struct.Struct("<I")  # each record of a log is prefixed with its length
_DEFLATE_LEVEL = 9
_RAW_DEFLATE = -15  # zlib wbits: a raw deflate stream, no header or checksum


_GROWING_LEVEL = 1
"""The deflate level of a log's last chunk while it is not full: deflated again at each
append, so fast; at :data:`_DEFLATE_LEVEL` once full."""


def _deflate(raw: bytes, level: int = _DEFLATE_LEVEL) -> bytes:
    return zlib.compress(raw, level, _RAW_DEFLATE) if raw else b""


def _inflate(blob: bytes) -> bytes:
    return zlib.decompress(blob, _RAW_DEFLATE) if blob else b""


def _split(raw: bytes) -> list[bytes]:
    """The records of an inflated log, in order."""
    out: list[bytes] = []
    offset, end, size = 0, len(raw), _LENGTH.size
    while offset < end:
        (length,) = _LENGTH.unpack_from(raw, offset)
        offset += size
        out.append(raw[offset : offset + length])
        offset += length
    return out


def _join(records: Iterable[bytes]) -> bytes:
    return b"".join(_LENGTH.pack(len(raw)) + raw for raw in records)


CHUNK = 32
"""Records per deflated chunk of a log: appending re-deflates the last chunk only."""


class _PackedLog(Sequence[_T]):
    """A chronological list of records kept packed: the records' bytes, each prefixed with
    its length, deflated in chunks of :data:`CHUNK` records (a parked vehicle's history
    costs about half its packed size, with no per-record object; the last chunk, until
    full, is deflated fast rather than small).

    Reading yields fresh frozen objects; to change a record, store a replacement with
    ``log[i] = record`` or :meth:`upsert`.  Appending (what the fleet does, at the end of
    each trip) re-deflates the last chunk only, and the oldest records dropped stay in the
    first chunk, skipped, until all of its records are: a cost bounded by the chunk, not
    by the log, so months of life take time in proportion.  Other changes re-deflate the
    whole log.
    """

    __slots__ = ("_chunks", "_count", "_sizes", "_skip", "_tail")

    def __init__(self, items: Iterable[_T] = ()) -> None:
        self._store([self._pack(item) for item in items])

    @abstractmethod
    def _pack(self, item: _T) -> bytes:
        """One record as bytes (each log kind has its own layout)."""

    @abstractmethod
    def _unpack(self, raw: bytes) -> _T:
        """The record back from its bytes."""

    def _records(self) -> list[bytes]:
        records: list[bytes] = []
        for blob in self._chunks:
            records += _split(_inflate(blob))
        return records[self._skip :]

    def _store(self, records: list[bytes]) -> None:
        self._chunks: list[bytes] = []
        self._sizes: list[int] = []  # records in each chunk
        self._skip = 0  # dropped records still at the start of the first chunk
        self._add_chunks(records)
        self._count = len(records)
        self._tail: tuple[_T, ...] | None = None

    def _add_chunks(self, records: list[bytes]) -> None:
        for start in range(0, len(records), CHUNK):
            part = records[start : start + CHUNK]
            level = _DEFLATE_LEVEL if len(part) == CHUNK else _GROWING_LEVEL
            self._chunks.append(_deflate(_join(part), level))
            self._sizes.append(len(part))

    def __len__(self) -> int:
        return self._count

    def tail(self) -> tuple[_T, ...]:
        """The last two records (fewer in a shorter log), oldest first; kept until the log
        changes, so that reading the latest ones on every data sample costs no inflating."""
        if self._tail is None:
            last: list[bytes] = []
            for blob in reversed(self._chunks):
                last[:0] = _split(_inflate(blob))
                if len(last) >= 2:
                    break
            kept = min(2, self._count)
            self._tail = tuple(self._unpack(raw) for raw in last[len(last) - kept :])
        return self._tail

    @overload
    def __getitem__(self, index: int) -> _T: ...
    @overload
    def __getitem__(self, index: slice) -> list[_T]: ...
    def __getitem__(self, index: int | slice) -> _T | list[_T]:
        if isinstance(index, slice):
            return [self._unpack(raw) for raw in self._records()[index]]
        if not -self._count <= index < self._count:
            raise IndexError(f"{type(self).__name__} index out of range")
        at = index % self._count + self._skip  # one chunk inflated
        for blob, size in zip(self._chunks, self._sizes, strict=True):
            if at < size:
                return self._unpack(_split(_inflate(blob))[at])
            at -= size
        raise AssertionError("chunk sizes do not add up")  # pragma: no cover

    def __setitem__(self, index: int, item: _T) -> None:
        records = self._records()
        records[index] = self._pack(item)
        self._store(records)

    def __iter__(self) -> Iterator[_T]:
        skip = self._skip
        for blob in self._chunks:
            records = _split(_inflate(blob))
            for raw in records[skip:]:
                yield self._unpack(raw)
            skip = 0

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return False
        assert isinstance(other, _PackedLog)
        return other._count == self._count and other._records() == self._records()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<{self._count} records>)"

    def append(self, item: _T, *, keep_last: int | None = None) -> None:
        """Add ``item`` at the end; with ``keep_last``, drop the oldest records beyond it."""
        self.extend((item,), keep_last=keep_last)

    def extend(self, items: Iterable[_T], *, keep_last: int | None = None) -> None:
        """Add ``items`` at the end, then as :meth:`append` (the last chunk re-deflated)."""
        new = [self._pack(item) for item in items]
        if self._sizes and self._sizes[-1] < CHUNK:  # the last chunk takes more
            self._sizes.pop()
            new[:0] = _split(_inflate(self._chunks.pop()))
        self._add_chunks(new)
        self._count = sum(self._sizes) - self._skip
        self._tail = None
        if keep_last is not None:
            self.trim(keep_last)

    def _index_in(self, records: list[bytes], record_id: str) -> int | None:
        try:
            key = _pack_id(record_id)
        except ValueError:  # too long or not ASCII: never stored
            return None
        size = len(key)
        for i, raw in enumerate(records):
            if raw[:size] == key:
                return i
        return None

    def index_of(self, record_id: str) -> int | None:
        """Position of the record with this id, or None (also for ids no record can have)."""
        return self._index_in(self._records(), record_id)

    def get(self, record_id: str) -> _T | None:
        """The record with this id, or None."""
        records = self._records()
        i = self._index_in(records, record_id)
        return None if i is None else self._unpack(records[i])

    def upsert(self, item: _T) -> None:
        """Replace the record with the same id, or append it."""
        records = self._records()
        i = self._index_in(records, item.id)
        if i is None:
            records.append(self._pack(item))
        else:
            records[i] = self._pack(item)
        self._store(records)

    def trim(self, keep_last: int) -> None:
        """Drop the oldest records, keeping at most ``keep_last``: whole chunks go, and
        the first one left skips its dropped records (nothing re-deflated)."""
        excess = self._count - max(keep_last, 0)
        if excess <= 0:
            return
        chunks, sizes = self._chunks, self._sizes
        skip = self._skip + excess
        while sizes and sizes[0] <= skip:
            skip -= sizes.pop(0)
            chunks.pop(0)
        self._skip = skip
        self._count = sum(sizes) - skip
        self._tail = None

    @property
    def packed_size(self) -> int:
        """Bytes the log holds (deflated; for memory accounting)."""
        return sum(len(blob) for blob in self._chunks)

    @property
    def raw_size(self) -> int:
        """Bytes of the records before deflating (for memory accounting)."""
        return sum(len(raw) for raw in self._records())


class TripLog(_PackedLog[Trip]):
    """The trips of a vehicle, oldest first (an in-progress trip, if any, is last)."""

    __slots__ = ()

    def _pack(self, item: Trip) -> bytes:
        return _pack_trip(item)

    def _unpack(self, raw: bytes) -> Trip:
        return _unpack_trip(raw)


class TelemetryLog(_PackedLog[TelemetrySample]):
    """The telemetry records of a vehicle, oldest first."""

    __slots__ = ()

    def _pack(self, item: TelemetrySample) -> bytes:
        return _pack_sample(item)

    def _unpack(self, raw: bytes) -> TelemetrySample:
        return _unpack_sample(raw)
