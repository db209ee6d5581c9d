"""The recent past of a generated vehicle: 3 to 10 trips from home in the last days or
weeks, planned as legs (:mod:`simulator.fleet.legs`) and replayed in order, with their
energy use, charging and refuelling between them, waypoints, alerts, collisions, alarms
and telemetry."""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, datetime, time, timedelta

from simulator.fleet import catalog
from simulator.fleet.catalog import City, ModelSpec
from simulator.fleet.enums import (
    ALL_TELEMETRY_KINDS,
    AlarmActivation,
    AlarmType,
    AlertType,
    BreakInType,
    ChargingStatus,
    CollisionSeverity,
    CollisionSide,
    Motorization,
    PrivacyState,
)
from simulator.fleet.legs import Leg, plan_leg
from simulator.fleet.models import ElectricEnergy, FuelEnergy, Maintenance
from simulator.fleet.records import (
    Alarm,
    Alert,
    Collision,
    CollisionDetail,
    TelemetrySample,
    Trip,
    new_record_id,
)
from simulator.fleet.values import Position
from simulator.geometry import LonLat, bearing_deg, distance_km, offset, toward

__all__ = ["PastLife", "whole_seconds"]

_FUEL_LOW_PCT = 12.0


def whole_seconds(value: datetime) -> datetime:
    """``value`` without its microseconds."""
    return value.replace(microsecond=0)


class PastLife:
    """The history of one vehicle being generated: plans its recent trips, then replays
    them in order, collecting the records (``trips``, ``alerts``, ``collisions``,
    ``alarms``, ``samples``) the vehicle is made with."""

    def __init__(self, rng: random.Random, now: datetime, spec: ModelSpec, city: City) -> None:
        self.rng = rng
        self.now = now
        self.spec = spec
        self.city = city
        self.weather = rng.gauss(0.0, 2.5)  # this vehicle's weather vs the climate mean
        self.alerts: list[Alert] = []
        self.collisions: list[Collision] = []
        self.alarms: list[Alarm] = []
        self.trips: list[Trip] = []  # packed once, at the end (one deflate per log)
        self.samples: list[TelemetrySample] = []
        self.pending_alerts: list[AlertType] = []  # raised after the history replay

    # -- environment ------------------------------------------------------------------

    def temperature(self, at: datetime) -> float:
        value = catalog.climate_temperature(self.city, at) + self.weather
        return round(value * 2.0) / 2.0

    def position(self, point: LonLat, at: datetime, heading: int) -> Position:
        return Position(
            lon=point[0],
            lat=point[1],
            at=at,
            alt=round(self.city.alt_m + self.rng.uniform(-12.0, 12.0), 1),
            heading=heading,
            signal_quality=self.rng.randint(2, 5),
        )

    # -- history planning -------------------------------------------------------------

    def destination(self, home: LonLat) -> LonLat:
        rng = self.rng
        if rng.random() < 0.15:  # the city centre
            point = offset(
                self.city.lon, self.city.lat, rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)
            )
        else:
            distance = rng.uniform(2.0, 15.0) if rng.random() < 0.75 else rng.uniform(15.0, 60.0)
            point = toward(home[0], home[1], rng.uniform(0.0, 2.0 * math.pi), distance)
        if distance_km(point, home) < 1.5:
            point = offset(home[0], home[1], 2.0, 1.0)
        return (round(point[0], 6), round(point[1], 6))

    def plan(self, home: LonLat) -> list[Leg]:
        """3..10 trips grouped in tours home -> 1 or 2 stops -> home, scheduled on recent
        days at usual hours, the last one ending shortly before ``now``."""
        rng = self.rng
        remaining = rng.randint(3, 10)
        tours: list[list[Leg]] = []
        while remaining > 0:
            size = remaining if remaining <= 3 else 2 if remaining == 4 else rng.choice((2, 3))
            stops = [home] + [self.destination(home) for _ in range(size - 1)] + [home]
            tours.append(
                [plan_leg(rng, a, b, self.spec.max_speed_kmh) for a, b in itertools.pairwise(stops)]
            )
            remaining -= size

        zone = catalog.city_zone(self.city)
        day = self.now.astimezone(zone).date() - timedelta(days=3 * len(tours))
        previous_end: datetime | None = None
        for tour in tours:
            hour = rng.choices((7, 8, 9, 11, 13, 16, 17, 18, 20), (3, 4, 2, 2, 2, 2, 3, 3, 1))[0]
            local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), zone)
            start = local.astimezone(UTC)
            if previous_end is not None and start < previous_end + timedelta(minutes=30):
                start = whole_seconds(previous_end + timedelta(minutes=rng.uniform(30.0, 180.0)))
            for i, leg in enumerate(tour):
                leg.start = start
                if hour <= 9 and i == 0:
                    dwell = timedelta(hours=rng.uniform(7.0, 9.5))  # at work
                else:
                    dwell = timedelta(minutes=rng.uniform(20.0, 180.0))
                start = whole_seconds(leg.end + dwell)
            previous_end = tour[-1].end
            day = previous_end.astimezone(zone).date() + timedelta(days=rng.choice((0, 1, 1, 2)))

        legs = [leg for tour in tours for leg in tour]
        # move whole days so that the last trip ends in the day before now - 10 min
        latest = self.now - timedelta(minutes=10)
        shift = math.floor((latest - legs[-1].end) / timedelta(days=1))
        if rng.random() < 0.3:
            shift -= rng.randint(1, 4)  # parked for a few days
        for leg in legs:
            leg.start += timedelta(days=shift)
        return legs

    # -- history replay ---------------------------------------------------------------

    def replay(
        self,
        legs: list[Leg],
        home: LonLat,
        start_mileage: float,
        electric: ElectricEnergy | None,
        fuel: FuelEnergy | None,
        maintenance: Maintenance,
        privacy: PrivacyState,
        alarm_equipped: bool,
    ) -> tuple[Position, str]:
        """Drive the planned legs in order: trips, energy use, charging and refuelling
        between them, low-fuel / ice alerts, collisions, alarms and telemetry."""
        rng = self.rng
        mileage = start_mileage
        low_fuel: Alert | None = None
        ice_alert_done = False
        samples_from = len(legs) - rng.randint(1, 3)
        collision_leg = rng.randrange(len(legs)) if rng.random() < 0.007 else -1
        alarm_history = alarm_equipped and rng.random() < 0.03
        break_in = alarm_history and rng.random() < 0.25
        last_position = self.position(home, legs[0].start, 0)
        trip_id = ""
        for index, leg in enumerate(legs):
            starts_from_home = leg.points[0] == home
            if starts_from_home and break_in and index >= len(legs) // 2 and index > 0:
                break_in = False
                self.break_in(legs[index - 1].end, leg.start, last_position)
            if electric is not None and starts_from_home:
                self.overnight_charge(electric)
            if fuel is not None:
                needed = leg.distance_km * fuel.consumption_l_per_100km * 1.3 / fuel.tank_l
                if (fuel.level < 20.0 and rng.random() < 0.6) or fuel.level - needed < 3.0:
                    fuel.level = round(rng.uniform(85.0, 100.0), 1)
                    refuelled = leg.start - timedelta(minutes=rng.randint(3, 30))
                    self.end_alert(low_fuel, refuelled, last_position)
                    low_fuel = None

            temperature = self.temperature(leg.start)
            trip = self.drive(leg, mileage, temperature, electric, fuel)
            trip_id, waypoints = trip.id, trip.waypoints
            mileage += leg.distance_km
            last_position = waypoints[-1]
            if fuel is not None and fuel.level >= _FUEL_LOW_PCT:  # refuelled on the way
                self.end_alert(low_fuel, leg.start, waypoints[0])
                low_fuel = None

            if fuel is not None and fuel.level < _FUEL_LOW_PCT and low_fuel is None:
                low_fuel = self.raise_alert(AlertType.FUEL_LEVEL_LOW, leg.end, waypoints[-1])
                low_fuel.trip_id = trip_id
            if temperature < 3.0 and not ice_alert_done and rng.random() < 0.5:
                ice_alert_done = True
                ice = self.raise_alert(
                    AlertType.RISK_OF_ICE, leg.start + timedelta(minutes=2), waypoints[0]
                )
                ice.ended_at, ice.end_position, ice.trip_id = leg.end, waypoints[-1], trip_id
            if index == collision_leg:
                self.collide(trip, waypoints[len(waypoints) // 2])
            if alarm_history and index == len(legs) - 1:
                armed = leg.end + timedelta(seconds=30)
                self.alarms.append(self.alarm_status(armed, AlarmActivation.ACTIVE))
            if index >= samples_from:
                self.samples.append(
                    self.sample(
                        leg,
                        trip_id,
                        waypoints[-1],
                        round(mileage, 1),
                        electric,
                        fuel,
                        maintenance,
                        privacy,
                        alarm_equipped,
                    )
                )
        return last_position, trip_id

    def drive(
        self,
        leg: Leg,
        mileage: float,
        temperature: float,
        electric: ElectricEnergy | None,
        fuel: FuelEnergy | None,
    ) -> Trip:
        """Drive one leg from ``mileage`` km: its energy use and waypoints, recorded as a
        trip (appended to ``trips``)."""
        fuel_start = fuel.snapshot() if fuel is not None else None
        electric_start = electric.snapshot() if electric is not None else None
        electric_km, kwh, litres = self.consume(leg, temperature, electric, fuel)
        waypoints = self.waypoints(leg)
        trip = Trip(
            id=new_record_id(self.rng),
            started_at=leg.start,
            ended_at=leg.end,
            start_mileage_km=round(mileage, 1),
            distance_km=leg.distance_km,
            max_speed_kmh=leg.max_speed_kmh,
            electric_distance_km=electric_km,
            fuel_start=fuel_start,
            fuel_end=fuel.snapshot() if fuel is not None else None,
            fuel_used=litres if fuel is not None else None,
            electric_start=electric_start,
            electric_end=electric.snapshot() if electric is not None else None,
            electric_used_kwh=kwh if electric is not None else None,
            waypoints=waypoints,
        )
        self.trips.append(trip)
        return trip

    def overnight_charge(self, electric: ElectricEnergy) -> None:
        rng = self.rng
        if self.spec.motorization is Motorization.ELECTRIC:
            if electric.level < 45.0 or rng.random() < 0.3:
                electric.level = max(electric.level, float(rng.choice((80, 90, 100))))
        elif rng.random() < 0.6:
            electric.level = 100.0

    def consume(
        self,
        leg: Leg,
        temperature: float,
        electric: ElectricEnergy | None,
        fuel: FuelEnergy | None,
    ) -> tuple[float, float, float]:
        """Energy used by the leg; returns (electric km, kWh, litres) and lowers levels."""
        rng = self.rng
        cold = max(0.0, 15.0 - temperature)
        e_factor = (1.0 + 0.012 * cold) * (1.12 if leg.avg_speed_kmh > 70.0 else 1.0)
        e_factor *= rng.uniform(0.93, 1.07)
        f_factor = (1.0 + 0.004 * cold) * (1.15 if leg.distance_km < 5.0 else 1.0)
        f_factor *= rng.uniform(0.95, 1.08)
        distance = leg.distance_km
        electric_km = kwh = litres = 0.0
        if electric is not None:
            per_km = electric.consumption_kwh_per_100km * e_factor / 100.0
            if fuel is None:  # battery electric: charge on the way if needed
                needed = distance * per_km / electric.usable_kwh * 100.0
                if electric.level - needed < 3.0:
                    electric.level = 80.0
                electric_km = distance
            else:  # plug-in: electricity first, then fuel
                available = max(0.0, electric.level - 1.0) / 100.0 * electric.usable_kwh
                electric_km = min(distance, available / per_km)
                if leg.avg_speed_kmh > 70.0:
                    electric_km *= 0.7
                electric_km = round(electric_km, 1)
            kwh = round(electric_km * per_km, 2)
            electric.level = round(max(0.0, electric.level - kwh / electric.usable_kwh * 100.0), 1)
        if fuel is not None:
            fuel_km = max(0.0, distance - electric_km)
            litres = fuel_km * fuel.consumption_l_per_100km * f_factor / 100.0
            if fuel.level - litres / fuel.tank_l * 100.0 < 2.0:
                fuel.level = 100.0  # refuelled on the way
            litres = round(litres, 2)
            fuel.level = round(max(0.0, fuel.level - litres / fuel.tank_l * 100.0), 1)
        return electric_km, kwh, litres

    def waypoints(self, leg: Leg) -> tuple[Position, ...]:
        points = leg.points
        out: list[Position] = []
        heading = bearing_deg(points[0], points[1])
        for i, (point, fraction) in enumerate(zip(points, leg.fractions, strict=True)):
            if i + 1 < len(points):
                heading = bearing_deg(point, points[i + 1])
            at = whole_seconds(leg.start + leg.duration * fraction)
            out.append(self.position(point, at, heading))
        return tuple(out)

    def sample(
        self,
        leg: Leg,
        trip_id: str,
        position: Position,
        mileage: float,
        electric: ElectricEnergy | None,
        fuel: FuelEnergy | None,
        maintenance: Maintenance,
        privacy: PrivacyState,
        alarm_equipped: bool,
    ) -> TelemetrySample:
        at = leg.end
        air = self.temperature(at)
        thermal = self.spec.motorization in (Motorization.THERMIC, Motorization.HYBRID)
        warm = thermal and self.trips[-1].thermal_distance_km > 0.0
        return TelemetrySample(
            id=new_record_id(self.rng),
            at=at,
            kinds=ALL_TELEMETRY_KINDS,
            trip_id=trip_id,
            position=position,
            privacy=privacy,
            mileage_km=mileage,
            battery_voltage=round(self.rng.uniform(12.5, 14.2), 2),
            air_temp_c=air,
            daytime=catalog.is_daylight(position.lat, position.lon, at),
            fuel=fuel.snapshot() if fuel is not None else None,
            electric=electric.snapshot() if electric is not None else None,
            charging_status=ChargingStatus.DISCONNECTED if electric is not None else None,
            oil_temp_c=(round(self.rng.uniform(84.0, 96.0), 1) if warm else air)
            if thermal
            else None,
            coolant_temp_c=(
                (round(self.rng.uniform(82.0, 92.0), 1) if warm else air) if thermal else None
            ),
            alarm_activation=(
                AlarmActivation.ACTIVE if alarm_equipped else AlarmActivation.INACTIVE
            ),
            days_before_maintenance=maintenance.days_before(at),
            mileage_before_maintenance_km=maintenance.mileage_before(mileage),
        )

    # -- events -----------------------------------------------------------------------

    def raise_alert(self, kind: AlertType, at: datetime, where: Position | None) -> Alert:
        alert = Alert(
            id=new_record_id(self.rng),
            type=kind,
            severity=catalog.alert_severity(kind),
            started_at=whole_seconds(at),
            start_position=where,
        )
        self.alerts.append(alert)
        return alert

    def end_alert(self, alert: Alert | None, at: datetime, where: Position) -> None:
        """End an active alert (if any) at ``at``."""
        if alert is not None:
            alert.ended_at = max(alert.started_at, whole_seconds(at))
            alert.end_position = where

    def random_alerts(self, legs: list[Leg], mileage: float) -> None:
        """Occasional wear-and-tear alerts, raised at the end of a past trip."""
        rng = self.rng
        kinds = list(self.pending_alerts)
        roll = rng.random()
        if roll < 0.04:
            kinds.append(
                rng.choice(
                    (
                        AlertType.LEFT_FRONT_TIRE_UNDER_INFLATED,
                        AlertType.RIGHT_FRONT_TIRE_UNDER_INFLATED,
                        AlertType.LEFT_REAR_TIRE_UNDER_INFLATED,
                        AlertType.RIGHT_REAR_TIRE_UNDER_INFLATED,
                    )
                )
            )
        elif roll < 0.08:
            kinds.append(AlertType.ADD_WASHER_FLUID)
        elif roll < 0.10:
            kinds.append(AlertType.REPLACE_THE_REMOTE_CONTROL_BATTERY)
        elif roll < 0.12 and mileage > 50_000.0:
            kinds.append(AlertType.REPLACE_BRAKE_PADS)
        trips = self.trips
        for kind in kinds:
            index = rng.randrange(len(legs))
            trip = trips[index]
            alert = self.raise_alert(kind, legs[index].end, trip.end_position)
            alert.trip_id = trip.id
            resolvable = kind in (
                AlertType.LEFT_FRONT_TIRE_UNDER_INFLATED,
                AlertType.RIGHT_FRONT_TIRE_UNDER_INFLATED,
                AlertType.LEFT_REAR_TIRE_UNDER_INFLATED,
                AlertType.RIGHT_REAR_TIRE_UNDER_INFLATED,
                AlertType.ADD_WASHER_FLUID,
            )
            if resolvable and index + 1 < len(legs) and rng.random() < 0.5:
                fixed = legs[index + 1].start - timedelta(minutes=rng.randint(5, 60))
                where = trips[index + 1].waypoints[0]
                self.end_alert(alert, max(fixed, legs[index].end), where)

    def collide(self, trip: Trip, where: Position) -> None:
        rng = self.rng
        self.collisions.append(
            Collision(
                id=new_record_id(rng),
                at=where.at,
                position=where,
                details=(
                    CollisionDetail(
                        side=rng.choice(tuple(CollisionSide)),
                        severity=(
                            CollisionSeverity.MINIMAL
                            if rng.random() < 0.7
                            else CollisionSeverity.MINOR
                        ),
                    ),
                ),
                tipped_over=False,
                pedestrian=False,
                trip_id=trip.id,
            )
        )

    def break_in(self, parked_at: datetime, left_at: datetime, where: Position) -> None:
        """An alarm set off while parked at home, then disarmed by the owner."""
        rng = self.rng
        armed = parked_at + timedelta(seconds=30)
        window = max((left_at - armed).total_seconds(), 120.0)
        at = whole_seconds(armed + timedelta(seconds=rng.uniform(60.0, window - 60.0)))
        self.alarms.extend(
            (
                self.alarm_status(armed, AlarmActivation.ACTIVE),
                Alarm(
                    id=new_record_id(rng),
                    type=AlarmType.TRIGGER,
                    at=at,
                    trigger=rng.choice(
                        (
                            BreakInType.VOLUMETRIC_BREAK_IN,
                            BreakInType.FRONT_LEFT_DOOR_BREAK_IN,
                            BreakInType.TRUNK_DOOR_BREAK_IN,
                            BreakInType.VEHICLE_LIFTING,
                        )
                    ),
                    position=where,
                ),
                self.alarm_status(
                    max(at, left_at - timedelta(minutes=1)), AlarmActivation.INACTIVE
                ),
            )
        )

    def alarm_status(self, at: datetime, activation: AlarmActivation) -> Alarm:
        """An alarm status change (armed or disarmed) at ``at``."""
        return Alarm(
            id=new_record_id(self.rng), type=AlarmType.STATUS, at=at, activation=activation
        )
