"""Generation of believable, deterministic fleets.

Everything is drawn from the ``random.Random`` and ``Faker`` instances handed in and from
``now``: the same seed and the same ``now`` give the same fleet, byte for byte.

A generated vehicle is parked at home (a real city, a few km from the centre) after a
short past life: 3 to 10 trips from home in the last days or weeks, with consistent
odometer, energy levels, waypoints, alerts and telemetry. Some electrified cars are
plugged in at home, charging or done charging.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from simulator.fleet import catalog
from simulator.fleet.catalog import Brand, City, ModelSpec
from simulator.fleet.models import (
    ALL_TELEMETRY_KINDS,
    LOCKED,
    PRECONDITIONING_OFF,
    TRANSMISSION_AUTOMATIC_PARKED,
    TRANSMISSION_MANUAL_PARKED,
    UNPLUGGED,
    Alarm,
    AlarmActivation,
    AlarmType,
    Alert,
    AlertType,
    BreakInType,
    ChargeProgram,
    ChargeType,
    Charging,
    ChargingMode,
    ChargingStatus,
    Collision,
    CollisionDetail,
    CollisionSeverity,
    CollisionSide,
    DrivingMode,
    ElectricEnergy,
    EnergySubType,
    FuelEnergy,
    IgnitionType,
    LockedState,
    Maintenance,
    Motorization,
    Position,
    PowertrainStatus,
    Preconditioning,
    PreconditioningProgram,
    PrivacyState,
    TelemetryLog,
    TelemetrySample,
    ThermicEngine,
    Trip,
    TripLog,
    Vehicle,
    VehicleState,
    Weekday,
    new_record_id,
    telemetry_snapshot,
)
from simulator.fleet.vin import make_vin

if TYPE_CHECKING:  # faker is imported where a fleet is made: start-up stays fast
    from faker import Faker

__all__ = ["generate_fleet", "generate_vehicle"]

_KM_PER_DEG_LAT = 111.32
_FUEL_LOW_PCT = 12.0
_WEEKDAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
_EVERY_DAY = (*_WEEKDAYS, Weekday.SAT, Weekday.SUN)

#: preconditioning program sets owners commonly have (shared between vehicles)
_PRECONDITIONING_PRESETS: tuple[tuple[PreconditioningProgram, ...], ...] = (
    (
        PreconditioningProgram(
            slot=1, enabled=True, start=timedelta(hours=7, minutes=30), days=_WEEKDAYS
        ),
    ),
    (
        PreconditioningProgram(slot=1, enabled=True, start=timedelta(hours=7), days=_WEEKDAYS),
        PreconditioningProgram(
            slot=2, enabled=False, start=timedelta(hours=17, minutes=45), days=_WEEKDAYS
        ),
    ),
    (
        PreconditioningProgram(
            slot=1, enabled=True, start=timedelta(hours=8, minutes=15), days=_EVERY_DAY
        ),
    ),
)

#: off-peak charging schedule (shared)
_OFF_PEAK = (
    ChargeProgram(
        slot=1,
        enabled=True,
        start=timedelta(hours=22, minutes=30),
        end=timedelta(hours=6, minutes=30),
        days=_EVERY_DAY,
    ),
)


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


def _seconds(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def generate_fleet(seed: int, count: int, owner: str, now: datetime) -> list[Vehicle]:
    """``count`` vehicles owned by ``owner``, as they are at ``now`` (timezone-aware).

    Deterministic: the same seed and ``now`` give an identical fleet."""
    if count < 0:
        raise ValueError("count must be >= 0")
    now = _utc(now)
    fake = new_faker()
    fake.seed_instance(seed)
    rng = random.Random(seed)
    return [generate_vehicle(rng, fake, owner, now) for _ in range(count)]


def generate_vehicle(
    rng: random.Random,
    fake: Faker,
    owner: str,
    now: datetime,
    *,
    brand: str | None = None,
    model: str | None = None,
    motorization: Motorization | str | None = None,
    city: str | None = None,
) -> Vehicle:
    """One vehicle, parked at home at ``now`` after a short past life.

    ``brand`` (name, e.g. "Citroen"), ``model`` (label, e.g. "e-208"), ``motorization``
    and ``city`` (a catalog city) narrow the random choices; a combination the catalog
    cannot satisfy raises ``ValueError``."""
    now = _utc(now)
    spec = _pick_model(rng, now, brand, model, motorization)
    home_city = _pick_city(rng, spec.brand, city)
    return _VehicleBuilder(rng, fake, owner, now, spec, home_city).build()


# --------------------------------------------------------------------------------------
# Choices
# --------------------------------------------------------------------------------------


def _pick_model(
    rng: random.Random,
    now: datetime,
    brand: str | None,
    model: str | None,
    motorization: Motorization | str | None,
) -> ModelSpec:
    try:
        brands = (catalog.brand_by_name(brand),) if brand is not None else catalog.BRANDS
        motor = Motorization(motorization) if motorization is not None else None
    except (KeyError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    label = catalog.slugify(model) if model is not None else None
    candidates = [
        m
        for m in catalog.MODELS
        if any(m.brand is b for b in brands)
        and (motor is None or m.motorization is motor)
        and (label is None or m.slug == label)
    ]
    if not candidates:
        raise ValueError(
            f"no catalog model matches brand={brand!r} model={model!r} "
            f"motorization={motorization!r}"
        )
    available = [m for m in candidates if m.years[0] <= now.year] or candidates
    brand_totals: dict[str, float] = {}
    for m in available:
        brand_totals[m.brand.name] = brand_totals.get(m.brand.name, 0.0) + m.weight
    weights = [m.brand.weight * m.weight / brand_totals[m.brand.name] for m in available]
    return rng.choices(available, weights)[0]


def _pick_city(rng: random.Random, brand: Brand, name: str | None) -> City:
    allowed = catalog.cities_for(brand)
    if name is not None:
        try:
            chosen = catalog.city_by_name(name)
        except KeyError as exc:
            raise ValueError(str(exc)) from None
        if chosen not in allowed:
            raise ValueError(f"{brand.name} vehicles do not live in {chosen.name}")
        return chosen
    weights = [c.weight * (3.0 if c.country == brand.home_country else 1.0) for c in allowed]
    return rng.choices(allowed, weights)[0]


# --------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------


def _offset(lon: float, lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    return (
        lon + east_km / (_KM_PER_DEG_LAT * math.cos(math.radians(lat))),
        lat + north_km / _KM_PER_DEG_LAT,
    )


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular approximation, fine at city scale."""
    mean_lat = math.radians((a[1] + b[1]) / 2.0)
    dx = (b[0] - a[0]) * math.cos(mean_lat) * _KM_PER_DEG_LAT
    dy = (b[1] - a[1]) * _KM_PER_DEG_LAT
    return math.hypot(dx, dy)


def _bearing(a: tuple[float, float], b: tuple[float, float]) -> int:
    mean_lat = math.radians((a[1] + b[1]) / 2.0)
    dx = (b[0] - a[0]) * math.cos(mean_lat)
    dy = b[1] - a[1]
    return round(math.degrees(math.atan2(dx, dy))) % 360


@dataclass(slots=True)
class _Leg:
    """One planned trip: geometry first, times once scheduled."""

    points: list[tuple[float, float]]
    fractions: list[float]  # share of the distance driven at each point
    distance_km: float
    avg_speed_kmh: float
    max_speed_kmh: float
    duration: timedelta
    start: datetime = field(default=datetime.min.replace(tzinfo=UTC))

    @property
    def end(self) -> datetime:
        return self.start + self.duration


def _plan_leg(
    rng: random.Random, a: tuple[float, float], b: tuple[float, float], top_speed: float
) -> _Leg:
    straight = max(_distance_km(a, b), 0.5)
    distance = round(straight * rng.uniform(1.2, 1.45) + 0.3, 1)
    if distance < 6.0:
        avg = rng.uniform(20.0, 32.0)
    elif distance < 25.0:
        avg = rng.uniform(32.0, 52.0)
    else:
        avg = rng.uniform(55.0, 85.0)
    max_speed = round(min(top_speed, 130.0, max(avg + 15.0, avg * rng.uniform(1.5, 2.0))), 1)
    duration = timedelta(seconds=round(distance / avg * 3600.0))
    n_points = min(5, max(3, 2 + round(distance / 10.0)))
    # a gently curved road: quadratic Bézier with a sideways control point
    mid = ((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0)
    bend = rng.uniform(-0.25, 0.25) * straight
    heading = math.atan2(b[1] - a[1], b[0] - a[0])
    control = _offset(mid[0], mid[1], -math.sin(heading) * bend, math.cos(heading) * bend)
    points = [a]
    for i in range(1, n_points - 1):
        t = i / (n_points - 1)
        u = 1.0 - t
        points.append(
            (
                round(u * u * a[0] + 2 * u * t * control[0] + t * t * b[0], 6),
                round(u * u * a[1] + 2 * u * t * control[1] + t * t * b[1], 6),
            )
        )
    points.append(b)
    cumulative = [0.0]
    for p, q in itertools.pairwise(points):
        cumulative.append(cumulative[-1] + _distance_km(p, q))
    total = cumulative[-1] or 1.0
    return _Leg(
        points=points,
        fractions=[c / total for c in cumulative],
        distance_km=distance,
        avg_speed_kmh=avg,
        max_speed_kmh=max_speed,
        duration=duration,
    )


# --------------------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------------------


class _VehicleBuilder:
    """Builds one vehicle: plans its recent trips, then replays them in order."""

    def __init__(
        self,
        rng: random.Random,
        fake: Faker,
        owner: str,
        now: datetime,
        spec: ModelSpec,
        city: City,
    ) -> None:
        self.rng = rng
        self.fake = fake
        self.owner = owner
        self.now = now
        self.spec = spec
        self.city = city
        self.weather = rng.gauss(0.0, 2.5)  # this vehicle's weather vs the climate mean
        self.alerts: list[Alert] = []
        self.collisions: list[Collision] = []
        self.alarms: list[Alarm] = []
        self.trip_objects: list[Trip] = []  # packed once, at the end (one deflate per log)
        self.samples: list[TelemetrySample] = []
        self.pending_alerts: list[AlertType] = []  # raised after the history replay

    # -- environment ------------------------------------------------------------------

    def temperature(self, at: datetime) -> float:
        value = catalog.climate_temperature(self.city, at) + self.weather
        return round(value * 2.0) / 2.0

    def position(self, point: tuple[float, float], at: datetime, heading: int) -> Position:
        return Position(
            lon=point[0],
            lat=point[1],
            at=at,
            alt=round(self.city.alt_m + self.rng.uniform(-12.0, 12.0), 1),
            heading=heading,
            signal_quality=self.rng.randint(2, 5),
        )

    # -- identity ---------------------------------------------------------------------

    def build(self) -> Vehicle:
        rng, spec, now = self.rng, self.spec, self.now
        vehicle_id = f"{self.fake.random.getrandbits(384):096x}"  # Faker's seeded generator
        last_year = min(spec.years[1], now.year)
        model_year = rng.randint(min(spec.years[0], last_year), last_year)
        vin = make_vin(
            rng.choice(catalog.wmi_for(spec, model_year)), rng, model_year, spec.brand.plants
        )
        latest = now - timedelta(days=60)
        window_end = min(datetime(model_year, 8, 31, tzinfo=UTC), latest)
        window_start = min(datetime(model_year - 1, 9, 1, tzinfo=UTC), window_end)
        registered = _seconds(window_start + (window_end - window_start) * rng.random())
        created_at = _seconds(
            min(registered + timedelta(days=rng.uniform(0.0, 20.0)), now - timedelta(days=40))
        )
        created_at = max(created_at, registered)

        radius = self.city.radius_km * math.sqrt(rng.random())
        angle = rng.uniform(0.0, 2.0 * math.pi)
        home_lon, home_lat = _offset(
            self.city.lon, self.city.lat, radius * math.sin(angle), radius * math.cos(angle)
        )
        home = (round(home_lon, 6), round(home_lat, 6))

        legs = self.plan_history(home)
        history_km = sum(leg.distance_km for leg in legs)
        age_years = max((now - registered).days, 1) / 365.25
        annual_km = _clamp(rng.gauss(13_500.0, 5_000.0), 3_000.0, 35_000.0)
        if spec.motorization is Motorization.ELECTRIC:
            annual_km *= 0.85
        mileage_now = _clamp(
            rng.uniform(50.0, 400.0) + annual_km * age_years, 300.0, rng.uniform(140e3, 150e3)
        )
        mileage_now = max(mileage_now, history_km + rng.uniform(50.0, 300.0))
        maintenance = self.maintenance(registered, mileage_now)

        electric, fuel, engine = self.energies(age_years)
        alarm_equipped = rng.random() < 0.7
        privacy = rng.choices(
            (PrivacyState.NONE, PrivacyState.GEOLOCATION, PrivacyState.FULL), (92, 6, 2)
        )[0]
        final_position, last_trip_id = self.replay(
            legs,
            home,
            mileage_now - history_km,
            electric,
            fuel,
            maintenance,
            privacy,
            alarm_equipped,
        )
        last_end = legs[-1].end
        mileage = round(mileage_now, 1)

        updated_at = _seconds(last_end + timedelta(seconds=rng.randint(20, 90)))
        if electric is not None:
            updated_at = self.park_charging(electric, last_end, updated_at)
        updated_at = min(updated_at, now)
        air = self.temperature(updated_at)
        if engine is not None:
            engine.air_temp_c = air
            if self.trip_objects[-1].thermal_distance_km <= 0.0:  # last trip all-electric
                engine.oil_temp_c = engine.coolant_temp_c = air
            hours = (updated_at - last_end).total_seconds() / 3600.0
            cooling = math.exp(-hours / 1.5)
            engine.oil_temp_c = round(air + (engine.oil_temp_c - air) * cooling, 1)
            engine.coolant_temp_c = round(air + (engine.coolant_temp_c - air) * cooling, 1)

        state = VehicleState(
            updated_at=updated_at,
            position=final_position,
            ignition=IgnitionType.STOP,
            powertrain=PowertrainStatus.NOT_RUNNING,
            speed_kmh=0.0,
            acceleration=0.0,
            moving=False,
            mileage_km=mileage,
            locked_states=LOCKED if rng.random() < 0.9 else (LockedState.SUPER_LOCKED,),
            battery_voltage=self.battery_voltage(air),
            privacy=privacy,
            air_temp_c=air,
            daytime=catalog.is_daylight(final_position.lat, final_position.lon, updated_at),
            preconditioning=self.preconditioning(),
            electric=electric,
            fuel=fuel,
            engine=engine,
            alarm_activation=(
                AlarmActivation.ACTIVE if alarm_equipped else AlarmActivation.INACTIVE
            ),
            alarm_trigger=next(
                (a for a in reversed(self.alarms) if a.type is AlarmType.TRIGGER), None
            ),
            transmission=(
                TRANSMISSION_AUTOMATIC_PARKED if spec.automatic else TRANSMISSION_MANUAL_PARKED
            ),
            driving_mode=self.driving_mode(),
        )
        maintenance.updated_at = updated_at
        self.random_alerts(legs, mileage)
        vehicle = Vehicle(
            id=vehicle_id,
            vin=vin,
            model=spec,
            model_year=model_year,
            owner=self.owner,
            created_at=created_at,
            updated_at=updated_at,
            home=self.city,
            home_lon=home[0],
            home_lat=home[1],
            state=state,
            maintenance=maintenance,
            pictures=spec.pictures,
            alerts=sorted(self.alerts, key=lambda a: a.started_at),
            trips=TripLog(self.trip_objects),
            collisions=self.collisions,
            telemetry=TelemetryLog(),  # below, once the vehicle exists
            alarms=self.alarms,
        )
        if updated_at > last_end + timedelta(minutes=5):
            # a later sample (charging): record it too
            self.samples.append(
                telemetry_snapshot(vehicle, new_record_id(rng), trip_id=last_trip_id)
            )
        vehicle.telemetry = TelemetryLog(self.samples)
        return vehicle

    # -- static-ish parts -------------------------------------------------------------

    def energies(
        self, age_years: float
    ) -> tuple[ElectricEnergy | None, FuelEnergy | None, ThermicEngine | None]:
        rng, spec = self.rng, self.spec
        electric = fuel = None
        engine = None
        if spec.battery_kwh is not None and spec.electric_kwh_per_100km is not None:
            wear = age_years * rng.uniform(0.8, 2.2)
            electric = ElectricEnergy(
                level=round(rng.uniform(35.0, 100.0), 1),
                capacity_kwh=spec.battery_kwh,
                consumption_kwh_per_100km=round(
                    spec.electric_kwh_per_100km * rng.uniform(0.93, 1.12), 1
                ),
                health_capacity_pct=int(_clamp(100.0 - wear, 80.0, 100.0)),
                health_resistance_pct=int(_clamp(100.0 - wear * 1.3, 75.0, 100.0)),
            )
        if spec.tank_l is not None and spec.fuel_per_100km is not None:
            fuel = FuelEnergy(
                level=round(rng.uniform(15.0, 100.0), 1),
                tank_l=spec.tank_l,
                consumption_l_per_100km=round(spec.fuel_per_100km * rng.uniform(0.93, 1.15), 2),
                subtype=spec.fuel_subtype or EnergySubType.FOSSIL_ENERGY,
            )
        if spec.motorization in (Motorization.THERMIC, Motorization.HYBRID):
            low_oil = rng.random() < 0.02
            engine = ThermicEngine(
                oil_temp_c=90.0,
                coolant_temp_c=88.0,
                air_temp_c=15.0,
                oil_level_pct=rng.randint(12, 25) if low_oil else rng.randint(60, 100),
                coolant_level_pct=rng.randint(80, 100),
            )
            if low_oil:
                self.pending_alerts.append(AlertType.OIL_LEVEL_LOW)
        return electric, fuel, engine

    def maintenance(self, registered: datetime, mileage: float) -> Maintenance:
        """Services done every interval (days or km, whichever first), one maybe skipped."""
        rng, now = self.rng, self.now
        days, km = catalog.MAINTENANCE_INTERVALS[self.spec.motorization]
        age = now - registered
        done = max(age.days // days, int(mileage // km))
        if done > 0 and rng.random() < 0.06:
            done -= 1  # a skipped service: overdue
        if done == 0:
            return Maintenance(
                interval_days=days,
                interval_km=km,
                next_service_at=registered + timedelta(days=days),
                next_service_mileage_km=float(km),
                updated_at=now,
            )
        by_time = registered + timedelta(days=done * days)
        by_km = registered + age * min(1.0, done * km / mileage)
        due = min(by_time, by_km, now - timedelta(days=7))
        last = _seconds(due + timedelta(days=rng.uniform(-20.0, 20.0)))
        last = max(registered + timedelta(days=1), min(last, now - timedelta(days=1)))
        last_km = round(mileage * (last - registered) / age)
        return Maintenance(
            interval_days=days,
            interval_km=km,
            next_service_at=last + timedelta(days=days),
            next_service_mileage_km=float(last_km + km),
            last_service_at=last,
            last_service_mileage_km=float(last_km),
            updated_at=now,
        )

    def battery_voltage(self, air: float) -> float:
        value = self.rng.uniform(12.2, 12.8) - (0.1 if air < 0.0 else 0.0)
        return round(value, 2)

    def preconditioning(self) -> Preconditioning:
        if self.spec.has_electric and self.rng.random() < 0.2:
            return Preconditioning(programs=self.rng.choice(_PRECONDITIONING_PRESETS))
        return PRECONDITIONING_OFF

    def driving_mode(self) -> DrivingMode:
        motorization, roll = self.spec.motorization, self.rng.random()
        if motorization is Motorization.HYBRID:
            return DrivingMode.HYBRID if roll < 0.75 else DrivingMode.ZEV
        if roll < 0.75:
            return DrivingMode.NORMAL
        return DrivingMode.ECO if roll < 0.93 else DrivingMode.SPORT

    # -- history planning -------------------------------------------------------------

    def destination(self, home: tuple[float, float]) -> tuple[float, float]:
        rng = self.rng
        if rng.random() < 0.15:  # the city centre
            point = _offset(
                self.city.lon, self.city.lat, rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)
            )
        else:
            distance = rng.uniform(2.0, 15.0) if rng.random() < 0.75 else rng.uniform(15.0, 60.0)
            angle = rng.uniform(0.0, 2.0 * math.pi)
            point = _offset(
                home[0], home[1], distance * math.sin(angle), distance * math.cos(angle)
            )
        if _distance_km(point, home) < 1.5:
            point = _offset(home[0], home[1], 2.0, 1.0)
        return (round(point[0], 6), round(point[1], 6))

    def plan_history(self, home: tuple[float, float]) -> list[_Leg]:
        """3..10 trips grouped in tours home -> 1 or 2 stops -> home, scheduled on recent
        days at usual hours, the last one ending shortly before ``now``."""
        rng = self.rng
        remaining = rng.randint(3, 10)
        tours: list[list[_Leg]] = []
        while remaining > 0:
            size = remaining if remaining <= 3 else 2 if remaining == 4 else rng.choice((2, 3))
            stops = [home] + [self.destination(home) for _ in range(size - 1)] + [home]
            tours.append(
                [
                    _plan_leg(rng, a, b, self.spec.max_speed_kmh)
                    for a, b in itertools.pairwise(stops)
                ]
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
                start = _seconds(previous_end + timedelta(minutes=rng.uniform(30.0, 180.0)))
            for i, leg in enumerate(tour):
                leg.start = start
                if hour <= 9 and i == 0:
                    dwell = timedelta(hours=rng.uniform(7.0, 9.5))  # at work
                else:
                    dwell = timedelta(minutes=rng.uniform(20.0, 180.0))
                start = _seconds(leg.end + dwell)
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
        legs: list[_Leg],
        home: tuple[float, float],
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
            fuel_start = fuel.snapshot() if fuel is not None else None
            electric_start = electric.snapshot() if electric is not None else None
            electric_km, kwh, litres = self.consume(leg, temperature, electric, fuel)

            waypoints = self.waypoints(leg)
            trip_id = new_record_id(rng)
            trip = Trip(
                id=trip_id,
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
            self.trip_objects.append(trip)
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
                self.alarms.append(
                    Alarm(
                        id=new_record_id(rng),
                        type=AlarmType.STATUS,
                        at=leg.end + timedelta(seconds=30),
                        activation=AlarmActivation.ACTIVE,
                    )
                )
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

    def overnight_charge(self, electric: ElectricEnergy) -> None:
        rng = self.rng
        if self.spec.motorization is Motorization.ELECTRIC:
            if electric.level < 45.0 or rng.random() < 0.3:
                electric.level = max(electric.level, float(rng.choice((80, 90, 100))))
        elif rng.random() < 0.6:
            electric.level = 100.0

    def consume(
        self,
        leg: _Leg,
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

    def waypoints(self, leg: _Leg) -> tuple[Position, ...]:
        points = leg.points
        out: list[Position] = []
        heading = _bearing(points[0], points[1])
        for i, (point, fraction) in enumerate(zip(points, leg.fractions, strict=True)):
            if i + 1 < len(points):
                heading = _bearing(point, points[i + 1])
            at = _seconds(leg.start + leg.duration * fraction)
            out.append(self.position(point, at, heading))
        return tuple(out)

    def sample(
        self,
        leg: _Leg,
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
        warm = thermal and self.trip_objects[-1].thermal_distance_km > 0.0
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
            started_at=_seconds(at),
            start_position=where,
        )
        self.alerts.append(alert)
        return alert

    def end_alert(self, alert: Alert | None, at: datetime, where: Position) -> None:
        """End an active alert (if any) at ``at``."""
        if alert is not None:
            alert.ended_at = max(alert.started_at, _seconds(at))
            alert.end_position = where

    def random_alerts(self, legs: list[_Leg], mileage: float) -> None:
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
        trips = self.trip_objects
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
        at = _seconds(armed + timedelta(seconds=rng.uniform(60.0, window - 60.0)))
        self.alarms.extend(
            (
                Alarm(
                    id=new_record_id(rng),
                    type=AlarmType.STATUS,
                    at=armed,
                    activation=AlarmActivation.ACTIVE,
                ),
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
                Alarm(
                    id=new_record_id(rng),
                    type=AlarmType.STATUS,
                    at=max(at, left_at - timedelta(minutes=1)),
                    activation=AlarmActivation.INACTIVE,
                ),
            )
        )

    def park_charging(
        self, electric: ElectricEnergy, arrived: datetime, updated_at: datetime
    ) -> datetime:
        """Maybe plug the car in at home after its last trip; returns the time of the
        latest sample (the charge's progress or its end)."""
        rng, now, spec = self.rng, self.now, self.spec
        motorization = spec.motorization
        if motorization is Motorization.ELECTRIC:
            chance = 0.65 if electric.level < 60.0 else 0.3
        elif motorization is Motorization.HYBRID:
            chance = 0.55
        else:
            chance = 0.2
        if rng.random() >= chance:
            electric.charging = UNPLUGGED
            return updated_at
        power = min(spec.ac_charger_kw, rng.choice((2.3, 3.7, 7.4, 7.4, 11.0)))
        target, charge_type = (
            (80.0, ChargeType.PARTIAL) if rng.random() < 0.25 else (100.0, ChargeType.FULL)
        )
        rate = int(_clamp(power * 0.9 / electric.consumption_kwh_per_100km * 100.0, 0, 500))
        plugged_at = arrived + timedelta(minutes=rng.uniform(1.0, 5.0))
        start = plugged_at
        programs: tuple[ChargeProgram, ...] = ()
        delayed: datetime | None = None
        if rng.random() < 0.2:  # off-peak schedule
            programs = _OFF_PEAK
            zone = catalog.city_zone(self.city)
            local = plugged_at.astimezone(zone)
            slot = datetime.combine(local.date(), time(22, 30), zone)
            if local.time() >= time(22, 30) or local.time() < time(6, 30):
                slot = local  # already in the off-peak window
            start = slot.astimezone(UTC)
            delayed = _seconds(start) if start > plugged_at else None
        if start > now:
            electric.charging = Charging(
                plugged=True,
                status=ChargingStatus.STOPPED,
                next_delayed_time=delayed,
                charge_type=charge_type,
                programs=programs,
            )
            return max(updated_at, _seconds(plugged_at))
        hours_needed = max(0.0, target - electric.level) / 100.0 * electric.usable_kwh
        hours_needed /= power * 0.9
        end = start + timedelta(hours=hours_needed)
        if end <= now:
            electric.level = max(electric.level, target)
            electric.charging = Charging(
                plugged=True,
                status=ChargingStatus.FINISHED,
                charge_type=charge_type,
                programs=programs,
            )
            return max(updated_at, _seconds(end))
        sample = _seconds(max(start, now - timedelta(seconds=rng.uniform(0.0, 300.0))))
        gained = (sample - start).total_seconds() / 3600.0 * power * 0.9
        electric.level = round(
            min(target, electric.level + gained / electric.usable_kwh * 100.0), 1
        )
        electric.charging = Charging(
            plugged=True,
            status=ChargingStatus.IN_PROGRESS,
            mode=ChargingMode.SLOW,
            remaining=timedelta(seconds=round((end - sample).total_seconds())),
            rate_kmh=rate,
            charger_power_kw=power,
            charge_type=charge_type,
            programs=programs,
        )
        return max(updated_at, sample)


def new_faker() -> Faker:
    """A Faker, imported on first use (it is slow to import; start-up stays fast)."""
    from faker import Faker

    return Faker()


# the geometry and leg planner, shared with the living fleet
offset = _offset
distance_km = _distance_km
bearing = _bearing
plan_leg = _plan_leg
