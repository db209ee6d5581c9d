"""Generation of believable, deterministic fleets.

Everything is drawn from the ``random.Random`` and ``Faker`` instances handed in and from
``now``: the same seed and the same ``now`` give the same fleet, byte for byte.

A generated vehicle is parked at home (a real city, a few km from the centre) after a
short past life: 3 to 10 trips from home in the last days or weeks, with consistent
odometer, energy levels, waypoints, alerts and telemetry. Some electrified cars are
plugged in at home, charging or done charging.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from simulator.fleet import catalog
from simulator.fleet.catalog import Brand, City, ModelSpec
from simulator.fleet.codec import TelemetryLog, TripLog
from simulator.fleet.enums import (
    AlarmActivation,
    AlarmType,
    AlertType,
    ChargeType,
    ChargingMode,
    ChargingStatus,
    DrivingMode,
    EnergySubType,
    IgnitionType,
    LockedState,
    Motorization,
    PowertrainStatus,
    PrivacyState,
    Weekday,
)
from simulator.fleet.history import PastLife, whole_seconds
from simulator.fleet.models import (
    ElectricEnergy,
    FuelEnergy,
    Maintenance,
    ThermicEngine,
    Vehicle,
    VehicleState,
    telemetry_snapshot,
)
from simulator.fleet.records import new_record_id
from simulator.fleet.values import (
    LOCKED,
    PRECONDITIONING_OFF,
    TRANSMISSION_AUTOMATIC_PARKED,
    TRANSMISSION_MANUAL_PARKED,
    UNPLUGGED,
    ChargeProgram,
    Charging,
    Position,
    Preconditioning,
    PreconditioningProgram,
)
from simulator.fleet.vin import make_vin
from simulator.geometry import LonLat, toward

if TYPE_CHECKING:  # faker is imported where a fleet is made: start-up stays fast
    from faker import Faker

__all__ = ["generate_fleet", "generate_vehicle"]

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
# The builder
# --------------------------------------------------------------------------------------


class _VehicleBuilder:
    """Builds one vehicle: its identity, energies and maintenance, its recent past
    (:class:`~simulator.fleet.history.PastLife`), then its state, parked at home."""

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
        self.past = PastLife(rng, now, spec, city)

    # -- identity ---------------------------------------------------------------------

    def build(self) -> Vehicle:
        rng, spec, now, past = self.rng, self.spec, self.now, self.past
        vehicle_id = f"{self.fake.random.getrandbits(384):096x}"  # Faker's seeded generator
        last_year = min(spec.years[1], now.year)
        model_year = rng.randint(min(spec.years[0], last_year), last_year)
        vin = make_vin(
            rng.choice(catalog.wmi_for(spec, model_year)), rng, model_year, spec.brand.plants
        )
        registered, created_at = self.registration(model_year)
        home = self.home()
        legs = past.plan(home)
        history_km = sum(leg.distance_km for leg in legs)
        age_years = max((now - registered).days, 1) / 365.25
        mileage_now = self.odometer(age_years, history_km)
        maintenance = self.maintenance(registered, mileage_now)

        energies = self.energies(age_years)
        electric, fuel, engine = energies
        alarm_equipped = rng.random() < 0.7
        privacy = rng.choices(
            (PrivacyState.NONE, PrivacyState.GEOLOCATION, PrivacyState.FULL), (92, 6, 2)
        )[0]
        final_position, last_trip_id = past.replay(
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

        updated_at = whole_seconds(last_end + timedelta(seconds=rng.randint(20, 90)))
        if electric is not None:
            updated_at = self.park_charging(electric, last_end, updated_at)
        updated_at = min(updated_at, now)
        air = past.temperature(updated_at)
        if engine is not None:
            self.cool_down(engine, air, (updated_at - last_end).total_seconds() / 3600.0)

        state = self.parked_state(
            final_position, updated_at, mileage, air, privacy, energies, alarm_equipped
        )
        maintenance.updated_at = updated_at
        past.random_alerts(legs, mileage)
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
            alerts=sorted(past.alerts, key=lambda a: a.started_at),
            trips=TripLog(past.trips),
            collisions=past.collisions,
            telemetry=TelemetryLog(),  # below, once the vehicle exists
            alarms=past.alarms,
        )
        if updated_at > last_end + timedelta(minutes=5):
            # a later sample (charging): record it too
            past.samples.append(
                telemetry_snapshot(vehicle, new_record_id(rng), trip_id=last_trip_id)
            )
        vehicle.telemetry = TelemetryLog(past.samples)
        return vehicle

    def registration(self, model_year: int) -> tuple[datetime, datetime]:
        """When the vehicle was registered (between September before its model year and
        August of it, at least 60 days ago), and when it was added to the fleet."""
        rng, now = self.rng, self.now
        latest = now - timedelta(days=60)
        window_end = min(datetime(model_year, 8, 31, tzinfo=UTC), latest)
        window_start = min(datetime(model_year - 1, 9, 1, tzinfo=UTC), window_end)
        registered = whole_seconds(window_start + (window_end - window_start) * rng.random())
        created_at = whole_seconds(
            min(registered + timedelta(days=rng.uniform(0.0, 20.0)), now - timedelta(days=40))
        )
        return registered, max(created_at, registered)

    def home(self) -> LonLat:
        """Home: a point of the city's disc, drawn uniformly."""
        radius = self.city.radius_km * math.sqrt(self.rng.random())
        angle = self.rng.uniform(0.0, 2.0 * math.pi)
        home_lon, home_lat = toward(self.city.lon, self.city.lat, angle, radius)
        return (round(home_lon, 6), round(home_lat, 6))

    def odometer(self, age_years: float, history_km: float) -> float:
        """The mileage now: a yearly distance for each year of age, at least what the recent
        history drove."""
        rng = self.rng
        annual_km = _clamp(rng.gauss(13_500.0, 5_000.0), 3_000.0, 35_000.0)
        if self.spec.motorization is Motorization.ELECTRIC:
            annual_km *= 0.85
        mileage = _clamp(
            rng.uniform(50.0, 400.0) + annual_km * age_years, 300.0, rng.uniform(140e3, 150e3)
        )
        return max(mileage, history_km + rng.uniform(50.0, 300.0))

    def parked_state(
        self,
        position: Position,
        updated_at: datetime,
        mileage: float,
        air: float,
        privacy: PrivacyState,
        energies: tuple[ElectricEnergy | None, FuelEnergy | None, ThermicEngine | None],
        alarm_equipped: bool,
    ) -> VehicleState:
        """The latest data sample: parked at ``position`` since the last trip."""
        rng = self.rng
        electric, fuel, engine = energies
        return VehicleState(
            updated_at=updated_at,
            position=position,
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
            daytime=catalog.is_daylight(position.lat, position.lon, updated_at),
            preconditioning=self.preconditioning(),
            electric=electric,
            fuel=fuel,
            engine=engine,
            alarm_activation=(
                AlarmActivation.ACTIVE if alarm_equipped else AlarmActivation.INACTIVE
            ),
            alarm_trigger=next(
                (a for a in reversed(self.past.alarms) if a.type is AlarmType.TRIGGER), None
            ),
            transmission=(
                TRANSMISSION_AUTOMATIC_PARKED if self.spec.automatic else TRANSMISSION_MANUAL_PARKED
            ),
            driving_mode=self.driving_mode(),
        )

    def cool_down(self, engine: ThermicEngine, air: float, hours: float) -> None:
        """The engine ``hours`` after the last trip, cooling down to the ``air`` temperature
        (°C)."""
        engine.air_temp_c = air
        if self.past.trips[-1].thermal_distance_km <= 0.0:  # last trip all-electric
            engine.oil_temp_c = engine.coolant_temp_c = air
        cooling = math.exp(-hours / 1.5)
        engine.oil_temp_c = round(air + (engine.oil_temp_c - air) * cooling, 1)
        engine.coolant_temp_c = round(air + (engine.coolant_temp_c - air) * cooling, 1)

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
                self.past.pending_alerts.append(AlertType.OIL_LEVEL_LOW)
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
        last = whole_seconds(due + timedelta(days=rng.uniform(-20.0, 20.0)))
        last = max(registered + timedelta(days=1), min(last, now - timedelta(days=1)))
        last_km = round(mileage * ((last - registered) / age))  # a ratio first: no overflow
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
            delayed = whole_seconds(start) if start > plugged_at else None
        if start > now:
            electric.charging = Charging(
                plugged=True,
                status=ChargingStatus.STOPPED,
                next_delayed_time=delayed,
                charge_type=charge_type,
                programs=programs,
            )
            return max(updated_at, whole_seconds(plugged_at))
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
            return max(updated_at, whole_seconds(end))
        sample = whole_seconds(max(start, now - timedelta(seconds=rng.uniform(0.0, 300.0))))
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
