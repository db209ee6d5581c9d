"""The living fleet's upkeep: services booked when due, no data while offline then one
catch-up sample, charge figures, compact histories and places drawn from the seed."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.clock import Clock, ClockMode
from simulator.config import Settings
from simulator.events import VehicleSample
from simulator.fleet import catalog
from simulator.fleet.charging import taper, taper_span
from simulator.fleet.codec import TelemetryLog, TripLog
from simulator.fleet.enums import ChargingStatus
from simulator.fleet.generate import generate_fleet
from simulator.fleet.life import SERVICE_HOURS, SERVICE_WEEKDAY, FleetLife, Places
from simulator.fleet.models import Vehicle
from simulator.fleet.records import TelemetrySample, Trip
from simulator.store import Simulator

MONDAY = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
DAY = 86400.0


def _sim(tmp_path_factory: pytest.TempPathFactory, vehicles: int, seed: int) -> Simulator:
    certs = tmp_path_factory.getbasetemp() / "life-certs"
    return Simulator(
        Settings(certs=certs, manual_clock=True, vehicles=vehicles, seed=seed, life=True),
        clock=Clock(ClockMode.MANUAL, start=MONDAY),
    )


def _advance(sim: Simulator, seconds: float, step: float = 3600.0) -> None:
    async def run() -> None:
        done = 0.0
        while done < seconds:
            sim.clock.advance(min(step, seconds - done))
            done += step

    asyncio.run(run())


def _record(sim: Simulator) -> list[VehicleSample]:
    seen: list[VehicleSample] = []
    sim.bus.subscribe(VehicleSample, seen.append)
    return seen


def _of(samples: list[VehicleSample], vehicle: Vehicle) -> list[str]:
    return [s.cause for s in samples if s.vehicle_id == vehicle.id]


# ------------------------------------------------------------------ service
def test_a_due_service_is_booked_on_a_saturday(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    sim = _sim(tmp_path_factory, vehicles=3, seed=21)
    overdue, *others = list(sim.fleet)
    maintenance = overdue.maintenance
    maintenance.next_service_at = MONDAY - timedelta(days=3)  # due by date
    interval = maintenance.interval_days
    for vehicle in others:  # not due for a long while
        vehicle.maintenance.next_service_at = MONDAY + timedelta(days=300)
        vehicle.maintenance.next_service_mileage_km = vehicle.state.mileage_km + 20_000
    assert FleetLife.service_due(overdue, MONDAY)
    samples = _record(sim)
    serviced_at: list[datetime] = []

    def note(sample: VehicleSample) -> None:
        if sample.cause == "serviced":
            vehicle = sim.fleet.get(sample.vehicle_id)
            assert vehicle is overdue
            serviced_at.append(datetime.fromtimestamp(sample.at, UTC))

    sim.bus.subscribe(VehicleSample, note)
    _advance(sim, 4 * DAY)  # Monday to Thursday: not a Saturday, no service
    assert serviced_at == [] and maintenance.last_service_at != sim.clock.now()
    _advance(sim, 4 * 7 * DAY - 4 * DAY)  # four weeks in all
    assert len(serviced_at) == 1, _of(samples, overdue)  # once: then due in a year
    local = serviced_at[0].astimezone(catalog.city_zone(overdue.home))
    assert local.weekday() == SERVICE_WEEKDAY
    assert SERVICE_HOURS[0] <= local.hour < SERVICE_HOURS[1]
    assert maintenance.last_service_at == serviced_at[0].replace(microsecond=0)
    assert maintenance.next_service_at == maintenance.last_service_at + timedelta(days=interval)
    assert maintenance.last_service_mileage_km is not None
    assert maintenance.next_service_mileage_km == (
        maintenance.last_service_mileage_km + maintenance.interval_km
    )
    assert not FleetLife.service_due(overdue, sim.clock.now())
    assert all("serviced" not in _of(samples, v) for v in others)


def test_service_due_by_distance(tmp_path_factory: pytest.TempPathFactory) -> None:
    vehicle = generate_fleet(4, 1, "owner", MONDAY)[0]
    maintenance = vehicle.maintenance
    maintenance.next_service_at = MONDAY + timedelta(days=100)
    maintenance.next_service_mileage_km = vehicle.state.mileage_km + 0.05
    assert not FleetLife.service_due(vehicle, MONDAY)
    vehicle.state.mileage_km += 0.1
    assert FleetLife.service_due(vehicle, MONDAY)


# ------------------------------------------------------------------ offline
def test_an_offline_vehicle_reports_nothing_then_catches_up(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    sim = _sim(tmp_path_factory, vehicles=2, seed=5)
    quiet, other = list(sim.fleet)
    samples = _record(sim)
    state = quiet.state
    updated, voltage = state.updated_at, state.battery_voltage
    state.online = False  # what the control API's PATCH .../behaviour does
    _advance(sim, 2 * DAY)
    assert _of(samples, quiet) == []
    assert _of(samples, other)  # the rest of the fleet lives on
    assert state.updated_at == updated and quiet.updated_at <= updated
    assert state.unreported
    assert state.battery_voltage <= voltage  # its battery drained all the same
    state.online = True
    _advance(sim, 6 * 3600)  # its next scheduled activity comes within a parked period
    causes = _of(samples, quiet)
    assert causes[:1] == ["catch-up"] and causes.count("catch-up") == 1
    assert not state.unreported
    assert state.updated_at > updated
    _advance(sim, DAY)
    assert _of(samples, quiet).count("catch-up") == 1


def test_an_offline_charge_goes_on_silently(tmp_path_factory: pytest.TempPathFactory) -> None:
    sim = _sim(tmp_path_factory, vehicles=0, seed=1)
    samples = _record(sim)

    async def run() -> None:
        from simulator.scenario import VehicleSpec

        vehicle = sim.add_vehicle(
            VehicleSpec(owner="demo@example.com", motorization="Electric", seed=8)
        )
        electric = vehicle.state.electric
        assert electric is not None
        electric.level = 30.0
        electric.charging = replace(electric.charging, plugged=True, charger_power_kw=7.4)
        sim.operations.start_charge(vehicle)
        vehicle.state.online = False
        sim.clock.advance(1800)
        assert "charging" not in _of(samples, vehicle)
        assert electric.level > 30.0
        vehicle.state.online = True
        sim.clock.advance(60)
        assert _of(samples, vehicle)[-2:] == ["catch-up", "charging"]

    asyncio.run(run())


# ------------------------------------------------------------------ charge figures
def test_remaining_time_foretells_the_end_of_the_charge(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    sim = _sim(tmp_path_factory, vehicles=0, seed=1)

    async def run() -> None:
        from simulator.scenario import VehicleSpec

        vehicle = sim.add_vehicle(
            VehicleSpec(owner="demo@example.com", motorization="Electric", seed=5)
        )
        electric = vehicle.state.electric
        assert electric is not None
        electric.level = 20.0
        electric.charging = replace(electric.charging, plugged=True, charger_power_kw=11.0)
        sim.operations.start_charge(vehicle)
        first = electric.charging.remaining
        assert first is not None and electric.charging.rate_kmh > 0
        started = sim.clock.time()
        remaining: list[timedelta] = [first]
        rates: list[int] = [electric.charging.rate_kmh]
        while electric.charging.status is ChargingStatus.IN_PROGRESS:
            sim.clock.advance(60)
            if electric.charging.remaining is not None:
                remaining.append(electric.charging.remaining)
                rates.append(electric.charging.rate_kmh)
        took = sim.clock.time() - started
        assert remaining == sorted(remaining, reverse=True)
        assert rates == sorted(rates, reverse=True)  # less power once past 80 %
        assert took == pytest.approx(first.total_seconds(), rel=0.03)

    asyncio.run(run())


def test_taper_span_is_the_integral_of_the_taper() -> None:
    step = 0.001
    for start in (0.0, 42.5, 80.0, 93.3, 99.9):
        steps = round((100.0 - start) / step)
        numeric = sum(step / taper(start + (i + 0.5) * step) for i in range(steps))
        assert taper_span(start) == pytest.approx(numeric, rel=1e-4)
    assert taper_span(100.0) == 0.0


# ------------------------------------------------------------------ histories and places
@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 4), min_size=1, max_size=8),
    keep=st.integers(1, 12),
)
def test_packed_logs_append_and_trim_as_lists(sizes: list[int], keep: int) -> None:
    source = generate_fleet(9, 2, "owner", MONDAY)
    trips = [t for v in source for t in v.trips]
    samples = [t for v in source for t in v.telemetry]
    log, tele = TripLog(), TelemetryLog()
    expected_trips: list[Trip] = []
    expected_samples: list[TelemetrySample] = []
    for i, size in enumerate(sizes):
        picked = [trips[(i + k) % len(trips)] for k in range(size)]
        log.extend(picked, keep_last=keep)
        expected_trips = [*expected_trips, *picked][-keep:]
        assert log.tail() == tuple(expected_trips[-2:])  # cached until the log changes
        sample = samples[i % len(samples)]
        tele.append(sample, keep_last=keep)
        expected_samples = [*expected_samples, sample][-keep:]
    assert list(log) == expected_trips and len(log) == len(expected_trips)
    assert list(tele) == expected_samples and len(tele) == len(expected_samples)
    assert log == TripLog(expected_trips)
    if expected_trips:
        assert log[-1] == expected_trips[-1] and log[:2] == expected_trips[:2]
        last = expected_trips[-1]
        assert log.get(last.id) == last


def test_places_are_drawn_from_the_seed(tmp_path_factory: pytest.TempPathFactory) -> None:
    sim = _sim(tmp_path_factory, vehicles=2, seed=13)
    again = _sim(tmp_path_factory, vehicles=2, seed=13)
    other = _sim(tmp_path_factory, vehicles=2, seed=14)

    def places(s: Simulator) -> list[Places]:
        return [s.life.places(v) for v in s.fleet]

    assert places(sim) == places(again)
    assert places(sim) != places(other)
    vehicle = next(iter(sim.fleet))
    place = sim.life.places(vehicle)
    home = (vehicle.home_lon, vehicle.home_lat)
    assert len(place.errands) == 4 and place.work != home
    assert place.home_kw in (3.7, 7.4, 11.0)


def test_a_vehicle_generated_mid_charge_goes_on_charging(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    sim = _sim(tmp_path_factory, 60, 0)
    charging = [
        v
        for v in sim.fleet
        if v.state.electric is not None
        and v.state.electric.charging.status is ChargingStatus.IN_PROGRESS
        and v.state.electric.level < 70
    ]
    assert charging, "seed 0 has no vehicle generated mid-charge: pick another seed"
    vehicle = charging[0]
    electric = vehicle.state.electric
    assert electric is not None
    before = electric.level
    _advance(sim, 1800, step=60)
    assert electric.level > before
    assert electric.charging.status in (ChargingStatus.IN_PROGRESS, ChargingStatus.FINISHED)
