"""Fleet generation: determinism, VINs, energies, physical consistency, packed histories."""

from __future__ import annotations

import dataclasses
import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from faker import Faker
from hypothesis import given
from hypothesis import strategies as st

from simulator.fleet import catalog
from simulator.fleet.codec import TelemetryLog, TripLog
from simulator.fleet.enums import (
    ChargingStatus,
    DoorId,
    EnergySubType,
    FixStatus,
    IgnitionType,
    LockedState,
    Motorization,
    PositionKind,
    PrivacyState,
    TelemetryKind,
    TripFaultCause,
    TripFaultKind,
)
from simulator.fleet.generate import generate_fleet, generate_vehicle
from simulator.fleet.models import ElectricEnergy, FuelEnergy, Vehicle
from simulator.fleet.records import TelemetrySample, Trip, TripFault
from simulator.fleet.values import EnergyLevel, Position
from simulator.fleet.vin import (
    VIN_ALPHABET,
    is_valid_vin,
    make_vin,
    model_year_code,
    vin_check_digit,
)

NOW = datetime(2025, 11, 25, 8, 30, tzinfo=UTC)
OWNER = "demo@example.com"


@pytest.fixture(scope="module")
def fleet() -> list[Vehicle]:
    return generate_fleet(1234, 200, OWNER, NOW)


# -- determinism -----------------------------------------------------------------------


def test_same_seed_same_fleet() -> None:
    random.seed(1)  # the global generator must not matter
    first = generate_fleet(7, 25, OWNER, NOW)
    random.seed(2)
    second = generate_fleet(7, 25, OWNER, NOW)
    assert first == second
    assert [v.id for v in first] == [v.id for v in second]
    assert [list(v.trips) for v in first] == [list(v.trips) for v in second]


def test_different_seeds_differ() -> None:
    first = generate_fleet(7, 10, OWNER, NOW)
    second = generate_fleet(8, 10, OWNER, NOW)
    assert {v.id for v in first}.isdisjoint(v.id for v in second)
    assert {v.vin for v in first}.isdisjoint(v.vin for v in second)


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError):
        generate_fleet(1, 1, OWNER, datetime(2025, 1, 1))


def test_now_in_another_zone_is_the_same_instant() -> None:
    from datetime import timezone

    paris = NOW.astimezone(timezone(timedelta(hours=1)))
    assert generate_fleet(3, 5, OWNER, paris) == generate_fleet(3, 5, OWNER, NOW)


# -- identity --------------------------------------------------------------------------


def test_vins_are_valid_and_branded(fleet: list[Vehicle]) -> None:
    for v in fleet:
        assert len(v.vin) == 17
        assert not set(v.vin) & set("IOQ")
        assert is_valid_vin(v.vin)
        assert v.vin[8] == vin_check_digit(v.vin)
        assert v.vin[:3] in v.model.brand.wmis
        assert v.vin[:3] in v.model.wmis
        assert v.vin[9] == model_year_code(v.model_year)


def test_ids_are_opaque_and_unique(fleet: list[Vehicle]) -> None:
    ids = [v.id for v in fleet]
    assert len(set(ids)) == len(ids)
    for v in fleet:
        assert v.id != v.vin and v.vin not in v.id
        assert len(v.id) == 96 and int(v.id, 16) >= 0
        trip_ids = [t.id for t in v.trips]
        assert len(set(trip_ids)) == len(trip_ids)


def test_brand_data(fleet: list[Vehicle]) -> None:
    assert {v.brand for v in fleet} == {b.name for b in catalog.BRANDS}
    for v in fleet:
        assert v.label in {m.label for m in catalog.models_of(v.model.brand)}
        assert v.realm.startswith("clientsB2C")
        assert 1 <= len(v.pictures) <= 12
        assert all(p.startswith("https://") for p in v.pictures)
        assert v.owner == OWNER
        if v.brand == "Vauxhall":
            assert v.country == "GB"
        else:
            assert v.country != "GB"
        assert v.home.country == v.country
        assert abs(v.home_lat - v.home.lat) < 0.1 and abs(v.home_lon - v.home.lon) < 0.15


# -- energies --------------------------------------------------------------------------


def test_energies_match_motorization(fleet: list[Vehicle]) -> None:
    seen = set()
    for v in fleet:
        s = v.state
        seen.add(v.motorization)
        if v.motorization is Motorization.ELECTRIC:
            assert s.electric is not None and s.fuel is None and s.engine is None
        elif v.motorization is Motorization.THERMIC:
            assert s.fuel is not None and s.electric is None and s.engine is not None
            assert s.fuel.subtype is EnergySubType.FOSSIL_ENERGY
        elif v.motorization is Motorization.HYBRID:
            assert s.fuel is not None and s.electric is not None and s.engine is not None
        for energy in (s.electric, s.fuel):
            if energy is not None:
                assert 0.0 <= energy.level <= 100.0
    assert {Motorization.ELECTRIC, Motorization.THERMIC, Motorization.HYBRID} <= seen


def test_hydrogen_has_both_energies() -> None:
    v = generate_vehicle(random.Random(5), _faker(5), OWNER, NOW, motorization="Hydrogen")
    assert v.motorization is Motorization.HYDROGEN
    assert v.state.electric is not None and v.state.fuel is not None
    assert v.state.fuel.subtype is EnergySubType.HYDROGEN


def test_autonomy_follows_level_and_consumption(fleet: list[Vehicle]) -> None:
    for v in fleet:
        e, f = v.state.electric, v.state.fuel
        if e is not None:
            usable = e.capacity_kwh * e.health_capacity_pct / 100.0
            expected = usable * e.level / e.consumption_kwh_per_100km
            assert e.autonomy_km == int(expected)
            assert 0 <= e.autonomy_km <= 600
        if f is not None:
            assert f.autonomy_km == int(f.tank_l * f.level / f.consumption_l_per_100km)
            assert 0 <= f.autonomy_km <= 1500
        assert v.state.autonomy_km == (e.autonomy_km if e else 0) + (f.autonomy_km if f else 0)


def test_charging_cars_are_plugged(fleet: list[Vehicle]) -> None:
    statuses = set()
    for v in fleet:
        if v.state.electric is None:
            continue
        charging = v.state.electric.charging
        statuses.add(charging.status)
        if charging.status is ChargingStatus.IN_PROGRESS:
            assert charging.plugged and charging.rate_kmh > 0
            assert charging.remaining is not None and charging.remaining > timedelta(0)
        if charging.status is ChargingStatus.DISCONNECTED:
            assert not charging.plugged
    assert ChargingStatus.DISCONNECTED in statuses
    assert statuses & {ChargingStatus.IN_PROGRESS, ChargingStatus.FINISHED}


# -- parked state and history ----------------------------------------------------------


def test_parked_at_home(fleet: list[Vehicle]) -> None:
    for v in fleet:
        s = v.state
        assert s.ignition is IgnitionType.STOP
        assert s.speed_kmh == 0.0 and not s.moving
        assert s.open_doors == frozenset()
        assert set(s.locked_states) <= {LockedState.LOCKED, LockedState.SUPER_LOCKED}
        assert 12.0 <= s.battery_voltage <= 12.8
        assert -30.0 <= s.air_temp_c <= 45.0
        assert s.position.at <= s.updated_at <= NOW
        assert (s.position.lon, s.position.lat) == (v.home_lon, v.home_lat)
        assert 0 <= s.position.heading <= 360
        assert v.created_at < v.updated_at
        for door, is_open in s.door_states(v.doors):
            assert door in DoorId and not is_open
    assert sum(v.state.privacy is PrivacyState.NONE for v in fleet) > len(fleet) * 0.8


def test_odometer_and_trips_are_consistent(fleet: list[Vehicle]) -> None:
    for v in fleet:
        assert 0.0 <= v.state.mileage_km <= 150_000.0
        trips = list(v.trips)
        assert 3 <= len(trips) <= 10
        assert v.created_at < trips[0].started_at
        for a, b in itertools.pairwise(trips):
            assert a.ended_at is not None and a.ended_at < b.started_at
            assert a.end_position is not None and b.start_position is not None
            assert (a.end_position.lon, a.end_position.lat) == (
                b.start_position.lon,
                b.start_position.lat,
            )
            assert b.start_mileage_km == pytest.approx(a.stop_mileage_km, abs=0.05)
        assert trips[-1].stop_mileage_km == pytest.approx(v.state.mileage_km, abs=0.05)
        for t in trips:
            assert t.done and t.faults == ()
            assert t.start_mileage_km >= 0.0 and t.distance_km > 0.0
            assert 0.0 < t.avg_speed_kmh <= t.max_speed_kmh <= 130.0
            assert len(t.waypoints) >= 2
            assert t.waypoints[0].at == t.started_at and t.waypoints[-1].at == t.ended_at
            if v.motorization is Motorization.ELECTRIC:
                assert t.electric_used_kwh is not None and t.fuel_used is None
                assert t.electric_distance_km == t.distance_km
            if v.motorization is Motorization.THERMIC:
                assert t.fuel_used is not None and t.electric_used_kwh is None
        if v.state.fuel is not None and trips[-1].fuel_end is not None:
            assert v.state.fuel.level == trips[-1].fuel_end.level


def test_alerts_and_telemetry(fleet: list[Vehicle]) -> None:
    for v in fleet:
        for alert in v.alerts:
            assert alert.started_at <= NOW
            assert alert.ended_at is None or alert.started_at <= alert.ended_at <= NOW
        low_fuel = any(a.type.value == "FuelLevelLow" and a.active for a in v.alerts)
        if v.state.fuel is not None and v.state.fuel.level < 12.0:
            assert low_fuel
        assert 1 <= len(v.telemetry) <= 5
        for sample in v.telemetry:
            assert sample.at <= NOW and sample.mileage_km <= v.state.mileage_km
        assert v.maintenance.next_service_mileage_km > 0
    assert any(v.alerts for v in fleet)
    assert sum(bool(v.collisions) for v in fleet) < len(fleet) * 0.1
    assert sum(bool(v.alarms) for v in fleet) < len(fleet) * 0.2


# -- overrides -------------------------------------------------------------------------


def _faker(seed: int) -> Faker:
    fake = Faker()
    fake.seed_instance(seed)
    return fake


def test_generate_vehicle_overrides() -> None:
    rng = random.Random(11)
    v = generate_vehicle(rng, _faker(11), OWNER, NOW, brand="Citroen", model="ë-C4", city="Lyon")
    assert (v.brand, v.label, v.motorization) == ("Citroën", "ë-C4", Motorization.ELECTRIC)
    assert v.home.name == "Lyon" and v.country == "FR"
    assert v.vin[:3] in ("VF7", "VR7")
    v = generate_vehicle(rng, _faker(12), OWNER, NOW, brand="DS", motorization="Hybrid")
    assert v.brand == "DS" and v.motorization is Motorization.HYBRID
    v = generate_vehicle(rng, _faker(13), OWNER, NOW, brand="vauxhall")
    assert v.country == "GB"


@pytest.mark.parametrize(
    "overrides",
    [
        {"brand": "Vauxhall", "city": "Paris"},
        {"brand": "Peugeot", "model": "Corsa"},
        {"brand": "Tesla"},
        {"city": "Atlantis"},
        {"motorization": "Steam"},
    ],
)
def test_impossible_overrides_are_refused(overrides: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        generate_vehicle(random.Random(1), _faker(1), OWNER, NOW, **overrides)


# -- packed histories ------------------------------------------------------------------


def _position(at: datetime, alt: float | None = 35.2) -> Position:
    return Position(lon=2.352222, lat=48.856613, at=at, alt=alt, heading=359, signal_quality=4)


def test_trip_log_round_trip() -> None:
    start = NOW - timedelta(hours=2)
    trip = Trip(
        id="0123456789abcdef0123456789abcdef",
        started_at=start,
        ended_at=None,
        start_mileage_km=1234.5,
        distance_km=12.3,
        max_speed_kmh=87.6,
        electric_distance_km=4.5,
        fuel_start=EnergyLevel(level=43.7, autonomy_km=412),
        fuel_used=0.61,
        electric_start=EnergyLevel(level=12.1, autonomy_km=8),
        electric_end=EnergyLevel(level=0.0, autonomy_km=0),
        electric_used_kwh=1.2,
        waypoints=(
            _position(start),
            Position(
                lon=-0.1,
                lat=51.5,
                at=start + timedelta(microseconds=17),
                fix_status=None,
                kind=PositionKind.ESTIMATED,
            ),
        ),
        faults=(TripFault(fault=TripFaultKind.DATA_LACKING, cause=TripFaultCause.CONNECTION),),
    )
    other = Trip(
        id="trip-2",
        started_at=start,
        ended_at=start + timedelta(minutes=5),
        start_mileage_km=0.0,
        distance_km=1.0,
        max_speed_kmh=30.0,
    )
    log = TripLog([trip])
    log.append(other)
    assert list(log) == [trip, other] and log[0] == trip and log[-1] == other
    assert log[0:1] == [trip] and len(log) == 2
    assert log.get("trip-2") == other and log.get("nope") is None
    assert trip.end_position is None and not trip.done and trip.fuel_end is None
    finished = dataclasses.replace(trip, ended_at=start + timedelta(minutes=20))
    log.upsert(finished)
    assert log[0] == finished and log[0].done and len(log) == 2
    assert log == TripLog([finished, other]) and log != TripLog([other])


def test_telemetry_log_round_trip() -> None:
    sample = TelemetrySample(
        id="sample-1",
        at=NOW,
        kinds=frozenset({TelemetryKind.VEHICLE_ENERGIES, TelemetryKind.ENVIRONMENT}),
        trip_id="0123456789abcdef0123456789abcdef",
        position=_position(NOW, alt=None),
        mileage_km=42.1,
        locked_states=(LockedState.TRUNK_LOCKED, LockedState.LOCKED),
        open_doors=frozenset({DoorId.TRUNK}),
        fuel=EnergyLevel(level=5.5, autonomy_km=30),
        plugged=True,
        charging_status=ChargingStatus.IN_PROGRESS,
        oil_temp_c=-3.5,
        days_before_maintenance=-12,
        mileage_before_maintenance_km=-150.5,
    )
    bare = TelemetrySample(id="x", at=NOW)
    log = TelemetryLog([sample, bare])
    assert list(log) == [sample, bare]
    assert log[0].position is not None and log[0].position.fix_status is FixStatus.FIX_3D


# -- properties ------------------------------------------------------------------------

_WMIS = sorted({w for b in catalog.BRANDS for w in b.wmis})
_VIN_CHARS = st.sampled_from(VIN_ALPHABET)


@given(st.sampled_from(_WMIS), st.integers(0, 2**32), st.integers(1980, 2039))
def test_make_vin_is_always_valid(wmi: str, seed: int, year: int) -> None:
    vin = make_vin(wmi, random.Random(seed), year)
    assert len(vin) == 17 and vin.startswith(wmi)
    assert all(c in VIN_ALPHABET for c in vin)
    assert is_valid_vin(vin)
    assert vin[9] == model_year_code(year)


@given(st.lists(_VIN_CHARS, min_size=17, max_size=17), st.integers(0, 16), _VIN_CHARS)
def test_check_digit_detects_single_substitutions(
    chars: list[str], position: int, replacement: str
) -> None:
    draft = "".join(chars)
    digit = vin_check_digit(draft)
    assert digit in "0123456789X"
    vin = draft[:8] + digit + draft[9:]
    assert is_valid_vin(vin)
    if position == 8:
        return
    altered = vin[:position] + replacement + vin[position + 1 :]
    # every weight but position 9's is invertible modulo 11: the digit catches any
    # substitution that changes the transliterated value
    assert is_valid_vin(altered) == (_value(replacement) == _value(vin[position]))


def _value(char: str) -> int:
    """ISO 3779 transliteration, written independently of the implementation."""
    if char.isdigit():
        return int(char)
    for letters, first in (("ABCDEFGH", 1), ("JKLMN", 1), ("P", 7), ("R", 9), ("STUVWXYZ", 2)):
        if char in letters:
            return first + letters.index(char)
    raise ValueError(char)


def test_known_vin_check_digit() -> None:
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert is_valid_vin("1M8GDM9AXKP042788")
    assert not is_valid_vin("1M8GDM9A1KP042788")
    assert not is_valid_vin("1M8GDM9AXKP04278")
    assert not is_valid_vin("IM8GDM9AXKP042788")


_levels = st.floats(0.0, 100.0, allow_nan=False)


@given(
    _levels,
    _levels,
    st.floats(5.0, 120.0),
    st.floats(8.0, 35.0),
    st.integers(70, 100),
)
def test_electric_autonomy_is_monotonic(
    a: float, b: float, capacity: float, consumption: float, health: int
) -> None:
    low, high = sorted((a, b))
    energy = ElectricEnergy(
        level=low,
        capacity_kwh=capacity,
        consumption_kwh_per_100km=consumption,
        health_capacity_pct=health,
    )
    assert 0 <= energy.autonomy_km <= energy.autonomy_at(high)


@given(_levels, _levels, st.floats(2.0, 90.0), st.floats(0.5, 15.0))
def test_fuel_autonomy_is_monotonic(a: float, b: float, tank: float, consumption: float) -> None:
    low, high = sorted((a, b))
    energy = FuelEnergy(level=low, tank_l=tank, consumption_l_per_100km=consumption)
    assert 0 <= energy.autonomy_km <= energy.autonomy_at(high)
    assert energy.autonomy_at(0.0) == 0
