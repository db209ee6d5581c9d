"""Domain state -> the API's documents (the wire models of :mod:`simulator.api.schemas`).

Every function takes the vehicle (or record), the absolute base URL of the API
(``https://host:port/connectedcar/v4``) and what the token may see, and builds the
model straight from the domain objects: domain enums are the models' own types, the
members of the same name are read from the object (``from_attributes``), the units and
roundings of the wire are applied here, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic_core import to_jsonable_python

from simulator.api import schemas as s
from simulator.auth.models import User as UserAccount
from simulator.fleet import models as m
from simulator.fleet.enums import (
    DoorId,
    EnergySubType,
    EnergyType,
    EngineType,
    FixStatus,
    TripPropulsion,
    Weekday,
)
from simulator.fleet.values import Adas, Safety

POSITION_HIDDEN = (m.PrivacyState.GEOLOCATION, m.PrivacyState.FULL)
_POSITION_SCOPES = frozenset({"data:position"})
_ONBOARD_DATA: list[s.OnboardDataCapability] = [
    "data:telemetry",
    "data:position",
    "data:trip",
    "data:alert",
    "data:collision",
]


def _link(href: str) -> s.Link:
    return s.Link(href=href)


def vehicle_url(base: str, vehicle: m.Vehicle) -> str:
    return f"{base}/user/vehicles/{vehicle.id}"


def position_visible(vehicle: m.Vehicle, scopes: frozenset[str]) -> bool:
    """Positions are served only with ``data:position`` and privacy ``None``."""
    return "data:position" in scopes and vehicle.state.privacy not in POSITION_HIDDEN


# ---------------------------------------------------------------- positions
def _point(p: m.Position) -> s.Point:
    return s.Point(coordinates=[p.lon, p.lat] if p.alt is None else [p.lon, p.lat, p.alt])


def _fix(p: m.Position) -> FixStatus | None:
    return p.fix_status if p.kind is m.PositionKind.ACQUIRE else None


def position(p: m.Position) -> s.Position:
    properties = s.PositionProperties(
        heading=p.heading,
        signal_quality=p.signal_quality,
        type=p.kind,
        fix_status=_fix(p),
        created_at=p.at,
    )
    return s.Position(geometry=_point(p), properties=properties)


def _location(p: m.Position) -> s.PositionBase:
    """A position without its time (telemetry's ``location`` extension)."""
    properties = s.PositionPropertiesBase(
        heading=p.heading, signal_quality=p.signal_quality, type=p.kind, fix_status=_fix(p)
    )
    return s.PositionBase(geometry=_point(p), properties=properties)


def _seen(p: m.Position | None, visible: bool) -> s.Position | None:
    return position(p) if visible and p is not None else None


def last_position(vehicle: m.Vehicle) -> s.Position:
    return position(vehicle.state.position)


# ---------------------------------------------------------------- energies
def _occurence(days: Sequence[Weekday]) -> s.Occurence | None:
    return s.Occurence(day=list(days)) if days else None


def _charging(c: m.Charging, now: datetime) -> s.EnergyCharging:
    # nextDelayedTime is always there, as real cars report it (`PT0S`: no delayed charge
    # pending); clients read it unconditionally (psa-car-controller's charge hour)
    delay = timedelta(0) if c.next_delayed_time is None else c.next_delayed_time - now
    programs = [
        s.ChargeScheduleProgram(
            start=p.start,
            end=p.end,
            enabled=p.enabled,
            charge_until_full=p.charge_until_full,
            occurence=_occurence(p.days),
        )
        for p in c.programs
    ]
    return s.EnergyCharging(
        plugged=c.plugged,
        status=c.status,
        remaining_time=None if c.remaining is None else max(c.remaining, timedelta(0)),
        charging_rate=c.rate_kmh,
        charging_power_level=c.power_level,
        charging_mode=c.mode,
        next_delayed_time=max(delay, timedelta(0)),
        schedule=s.ChargeSchedule(programs=programs) if programs else None,
        type=c.charge_type,
    )


def _electric(e: m.ElectricEnergy, at: datetime, now: datetime) -> s.Energy:
    battery = s.EnergyBattery(
        capacity=round(e.capacity_kwh * 1000, 1),
        load=s.TimedLoadElectricEnergy(
            created_at=at,
            capacity=round(e.usable_kwh * 1000),
            residual=round(e.residual_kwh * 1000),
        ),
        health=s.TimedHealthElectricEnergy(
            created_at=at, capacity=e.health_capacity_pct, resistance=e.health_resistance_pct
        ),
    )
    electric = s.ElectricEnergyExtension(
        charging=_charging(e.charging, now),
        battery=battery,
        consumption=s.Consumption(consumption=round(e.consumption_kwh_per_100km, 1)),
        residual=s.Consumption(consumption=round(e.residual_kwh, 2)),
    )
    return s.Energy(
        created_at=at,
        updated_at=at,
        type=EnergyType.ELECTRIC,
        sub_type=EnergySubType.ELECTRIC_ENERGY,
        level=round(e.level, 1),
        autonomy=e.autonomy_km,
        extension=s.EnergyExtension(electric=electric),
    )


def _fuel(f: m.FuelEnergy, state: m.VehicleState) -> s.Energy:
    at = state.updated_at
    average = round(f.consumption_l_per_100km, 1)
    # instant: L/100 km (kg for hydrogen) while the engine burns it, 0 otherwise (a parked
    # car, a plug-in hybrid driving on its battery: the living fleet's rule, level > 1 %)
    electric = state.electric
    burning = state.moving and (electric is None or electric.level <= 1.0)
    fuel = s.FuelEnergyExtension(
        consumption=s.Consumption(consumption=average),
        consumptions=s.CompositFuelEnergyConsumption(
            # total: cL since new (the reference's unit), from the odometer and the
            # average consumption (a plug-in hybrid's electric km counted too)
            total=round(state.mileage_km * f.consumption_l_per_100km, 1),
            instant=average if burning else 0.0,
        ),
    )
    return s.Energy(
        created_at=at,
        updated_at=at,
        type=EnergyType.FUEL,
        sub_type=f.subtype,
        level=round(f.level, 1),
        autonomy=f.autonomy_km,
        extension=s.EnergyExtension(fuel=fuel),
    )


def energies(state: m.VehicleState, now: datetime) -> list[s.Energy]:
    found: list[s.Energy] = []
    if state.fuel is not None:
        found.append(_fuel(state.fuel, state))
    if state.electric is not None:
        found.append(_electric(state.electric, state.updated_at, now))
    return found


# ---------------------------------------------------------------- status parts
def _opening(door: DoorId, is_open: bool) -> s.DoorOpening:
    return s.DoorOpening(identifier=door, state="Open" if is_open else "Closed")


def _doors(vehicle: m.Vehicle) -> s.DoorsState:
    state = vehicle.state
    return s.DoorsState(
        created_at=state.updated_at,
        locked_states=list(state.locked_states),
        opening=[_opening(door, is_open) for door, is_open in state.door_states(vehicle.doors)],
    )


def _preconditioning(p: m.Preconditioning, at: datetime) -> s.Preconditioning:
    programs = [
        s.PreconditioningProgram(
            enabled=prog.enabled,
            slot=prog.slot,
            recurrence=prog.recurrence,
            start=prog.start,
            occurence=_occurence(prog.days),
        )
        for prog in p.programs
    ]
    air = s.AirConditioning(
        created_at=p.updated_at or at,
        updated_at=p.updated_at or at,
        status=p.status,
        starting_cause=p.starting_cause,
        failure_cause=p.failure_cause,
        programs=programs,
    )
    return s.Preconditioning(air_conditioning=air)


def _engines(state: m.VehicleState, motorization: m.Motorization) -> list[s.Engine]:
    at = state.updated_at
    engines: list[s.Engine] = []
    if state.engine is not None:
        e = state.engine
        thermic = s.ThermicEngineExtension(
            coolant=s.EngineLiquid(level=e.coolant_level_pct, temp=round(e.coolant_temp_c, 1)),
            oil=s.EngineLiquid(level=e.oil_level_pct, temp=round(e.oil_temp_c, 1)),
            air=s.EngineAir(temp=round(e.air_temp_c, 1)),
        )
        engines.append(
            s.Engine(
                created_at=at,
                type=EngineType.THERMIC,
                speed=round(e.speed_rpm),
                gmp_status=state.powertrain,
                extension=s.EngineExtension(thermic=thermic),
            )
        )
    if motorization in (m.Motorization.ELECTRIC, m.Motorization.HYBRID):
        engines.append(
            s.Engine(created_at=at, type=EngineType.ELECTRIC, gmp_status=state.powertrain)
        )
    return engines


def _lights(lights: Iterable[m.Light]) -> list[s.Light]:
    return [s.Light.model_validate(light) for light in lights]


def _safety(safety: Safety) -> dict[str, Any]:
    """The members of a safety block (with or without its time)."""
    return {
        "belt_status": [s.BeltStatus(id=b.seat, belt=b.state) for b in safety.belts],
        "auto_e_call_triggering": safety.auto_ecall,
    }


def _alarm(state: m.VehicleState, with_position: bool) -> s.Alarm:
    status = s.AlarmStatus(created_at=state.updated_at, activation=state.alarm_activation)
    record = state.alarm_trigger
    trigger = None
    if record is not None and record.trigger is not None:
        trigger = _trigger(record, record.trigger, with_position)
    return s.Alarm(status=status, trigger=trigger)


def _trigger(record: m.Alarm, kind: m.BreakInType, with_position: bool) -> s.AlarmTrigger:
    """An alarm trigger (break-in) as both Status.alarm and the alarms collection serve it."""
    return s.AlarmTrigger(
        created_at=record.at,
        type=kind,
        start_at=record.at,
        position=_seen(record.position, with_position),
    )


def status(vehicle: m.Vehicle, base: str, now: datetime, scopes: frozenset[str]) -> s.Status:
    state = vehicle.state
    at = state.updated_at
    url = vehicle_url(base, vehicle)
    visible = position_visible(vehicle, scopes)
    return s.Status(
        links=s.StatusLinks(self_=_link(f"{url}/status"), vehicle=_link(url)),
        created_at=at,
        updated_at=at,
        ignition=s.Ignition(created_at=at, type=state.ignition),
        last_position=position(state.position) if visible else None,
        preconditioning=_preconditioning(state.preconditioning, at),
        energies=energies(state, now),
        engines=_engines(state, vehicle.motorization),
        powertrain=s.Powertrain(created_at=at, status=state.powertrain),
        doors_state=_doors(vehicle),
        privacy=s.Privacy(created_at=at, state=state.privacy),
        battery=s.Battery(created_at=at, voltage=round(state.battery_voltage, 2)),
        service=s.ServiceType(created_at=at, type=vehicle.service_type),
        safety=s.Safety(created_at=at, **_safety(state.safety)),
        odometer=s.Odometer(created_at=at, mileage=round(state.mileage_km, 1)),
        kinetic=s.Kinetic(
            created_at=at,
            acceleration=round(state.acceleration, 2),
            speed=round(state.speed_kmh, 1),
            moving=state.moving,
        ),
        environment=s.Environment(
            luminosity=s.Luminosity(created_at=at, day=state.daytime),
            air=s.Air(created_at=at, temp=round(state.air_temp_c, 1)),
        ),
        driving_behavior=s.DrivingBehavior(created_at=at, mode=state.driving_mode),
        lighting_system=s.LightingSystem(
            created_at=at, turn=_lights(state.lighting.turn), fog=_lights(state.lighting.fog)
        ),
        alarm=_alarm(state, visible),
    )


# ---------------------------------------------------------------- vehicles, user
def _capabilities(vehicle: m.Vehicle) -> s.OnboardCapabilities:
    electric = vehicle.state.electric is not None
    preferences = s.ChargingPreferencesCapability(level=electric, type=electric)

    def supported(scope: s.RemoteScope) -> s.RemoteCapability:
        return s.RemoteCapability(supported=True, scope_name=scope)

    return s.OnboardCapabilities(
        data=_ONBOARD_DATA,
        remote=s.RemoteCapabilities(
            preconditioning=s.PreconditioningCapability(
                supported=True,
                parameters=s.PreconditioningCapabilityParameters(
                    programs=s.ProgramsCapability(size=4), immediate=True
                ),
            ),
            door=supported("remote:door:write"),
            horn=supported("remote:horn:write"),
            charging=s.ChargingCapability(
                supported=electric,
                parameters=s.ChargingCapabilityParameters(
                    immediate=s.ImmediateChargingCapability(start=electric, stop=electric),
                    schedule=s.ChargingScheduleCapability(
                        programs=s.ScheduleProgramsCapability(supported=electric, size=4),
                        next_delayed_time=electric,
                        preferences=preferences,
                    ),
                    preferences=preferences,
                ),
            ),
            lights=supported("remote:lights:write"),
            wakeup=supported("remote:wakeup:write"),
            navigation=supported("remote:navigation:write"),
        ),
    )


def _extension(vehicle: m.Vehicle, wanted: frozenset[str]) -> s.VehicleExtension:
    return s.VehicleExtension(
        branding=(
            s.VehicleBranding(brand=vehicle.brand, label=vehicle.label)
            if "branding" in wanted
            else None
        ),
        pictures=list(vehicle.pictures) if "pictures" in wanted else None,
        onboard_capabilities=(_capabilities(vehicle) if "onboardCapabilities" in wanted else None),
    )


def vehicle(vehicle: m.Vehicle, base: str, extensions: frozenset[str] = frozenset()) -> s.Vehicle:
    url = vehicle_url(base, vehicle)
    links = s.VehicleLinks(
        self_=_link(url),
        user=_link(f"{base}/user"),
        status=_link(f"{url}/status"),
        last_position=_link(f"{url}/lastPosition"),
        trips=_link(f"{url}/trips"),
        maintenance=_link(f"{url}/maintenance"),
        alerts=_link(f"{url}/alerts"),
        telemetry=_link(f"{url}/telemetry"),
        collisions=_link(f"{url}/collisions"),
        alarms=_link(f"{url}/alarms"),
    )
    embedded = None
    if extensions:
        embedded = s.VehicleEmbedded(extension=_extension(vehicle, extensions))
    return s.Vehicle(
        links=links,
        created_at=vehicle.created_at,
        updated_at=vehicle.updated_at,
        id=vehicle.id,
        vin=vehicle.vin,
        motorization=vehicle.motorization,
        brand=vehicle.brand,
        label=vehicle.label,
        pictures=list(vehicle.pictures),
        embedded=embedded,
    )


def user(account: UserAccount, vehicles: list[m.Vehicle], base: str, now: datetime) -> s.User:
    return s.User(
        links=s.UserLinks(self_=_link(f"{base}/user"), vehicles=_link(f"{base}/user/vehicles")),
        created_at=min((v.created_at for v in vehicles), default=now),
        updated_at=now,
        email=account.email,
        first_name=account.first_name,
        last_name=account.last_name,
        embedded=s.UserEmbedded(vehicles=[vehicle(v, base) for v in vehicles]),
    )


# ---------------------------------------------------------------- records
def alert(vehicle: m.Vehicle, alert: m.Alert, base: str, visible: bool) -> s.Alert:
    url = vehicle_url(base, vehicle)
    trips = None if alert.trip_id is None else [_link(f"{url}/trips/{alert.trip_id}")]
    return s.Alert(
        links=s.AlertLinks(
            self_=_link(f"{url}/alerts/{alert.id}"), vehicle=_link(url), trips=trips
        ),
        created_at=alert.started_at,
        updated_at=alert.updated_at,
        id=alert.id,
        active=alert.active,
        type=alert.type,
        severity=alert.severity,
        started_at=alert.started_at,
        end_at=alert.ended_at,
        start_position=_seen(alert.start_position, visible),
        end_position=_seen(alert.end_position, visible),
    )


def collision(vehicle: m.Vehicle, c: m.Collision, base: str) -> s.Collision:
    url = vehicle_url(base, vehicle)
    trip = None if c.trip_id is None else _link(f"{url}/trips/{c.trip_id}")
    return s.Collision(
        links=s.CollisionLinks(
            self_=_link(f"{url}/collisions/{c.id}"), vehicle=_link(url), trip=trip
        ),
        id=c.id,
        created_at=c.at,
        updated_at=c.at,
        details=[s.CollisionDetails(side=d.side, severity=d.severity) for d in c.details],
        tipped_over=c.tipped_over,
        pedestrian=c.pedestrian,
    )


def alarm(vehicle: m.Vehicle, a: m.Alarm, base: str, visible: bool) -> s.AlarmDetails:
    url = vehicle_url(base, vehicle)
    status = None
    if a.activation is not None:
        status = s.AlarmStatus(created_at=a.at, activation=a.activation)
    return s.AlarmDetails(
        links=s.AlarmLinks(self_=_link(f"{url}/alarms/{a.id}"), vehicle=_link(url)),
        id=a.id,
        status=status,
        trigger=None if a.trigger is None else _trigger(a, a.trigger, visible),
    )


def maintenance(vehicle: m.Vehicle, base: str, now: datetime) -> s.Maintenance:
    url = vehicle_url(base, vehicle)
    record = vehicle.maintenance
    return s.Maintenance(
        links=s.MaintenanceLinks(
            self_=_link(f"{url}/maintenance"),
            vehicle=_link(url),
            alerts=_link(f"{url}/alerts"),
        ),
        created_at=record.updated_at,
        updated_at=record.updated_at,
        days_before_maintenance=record.days_before(now),
        mileage_before_maintenance=round(record.mileage_before(vehicle.state.mileage_km), 1),
    )


def _lite(kind: EnergyType, level: m.EnergyLevel | None) -> list[s.LiteEnergy]:
    if level is None:
        return []
    return [s.LiteEnergy(type=kind, level=round(level.level, 1), autonomy=level.autonomy_km)]


def _used(kind: EnergyType, used: float | None, avg: float | None) -> list[s.EnergyConsumption]:
    if used is None:
        return []
    average = None if avg is None else round(avg, 2)
    return [s.EnergyConsumption(type=kind, consumption=round(used, 2), avg_consumption=average)]


def _segments(t: m.Trip) -> list[s.TripSegment]:
    if t.distance_km <= 0:
        return []
    return [
        s.TripSegment(
            propulsion=propulsion,
            distance=round(distance, 2),
            percent=round(100 * distance / t.distance_km, 1),
        )
        for propulsion, distance in (
            (TripPropulsion.ELECTRIC, t.electric_distance_km),
            (TripPropulsion.THERMAL, t.thermal_distance_km),
        )
        if distance > 0
    ]


def trip(vehicle: m.Vehicle, t: m.Trip, base: str, visible: bool) -> s.Trip:
    url = vehicle_url(base, vehicle)
    trip_url = f"{url}/trips/{t.id}"
    return s.Trip(
        links=s.TripLinks(
            self_=_link(trip_url),
            vehicle=_link(url),
            waypoints=_link(f"{trip_url}/wayPoints"),
            alerts=_link(f"{trip_url}/alerts"),
            collisions=_link(f"{trip_url}/collisions"),
        ),
        id=t.id,
        created_at=t.started_at,
        updated_at=t.updated_at,
        started_at=t.started_at,
        stopped_at=t.ended_at,
        start_position=_seen(t.start_position, visible),
        stop_position=_seen(t.end_position, visible),
        duration=t.duration_s,
        distance=round(t.distance_km, 2),
        start_mileage=round(t.start_mileage_km, 1),
        start_energies=_lite(EnergyType.FUEL, t.fuel_start)
        + _lite(EnergyType.ELECTRIC, t.electric_start),
        end_energies=_lite(EnergyType.FUEL, t.fuel_end)
        + _lite(EnergyType.ELECTRIC, t.electric_end),
        energy_consumptions=_used(EnergyType.FUEL, t.fuel_used, t.fuel_avg_per_100km)
        + _used(EnergyType.ELECTRIC, t.electric_used_kwh, t.electric_avg_kwh_per_100km),
        kinetic=s.TripKinetic(
            avg_speed=round(t.avg_speed_kmh, 1), max_speed=round(t.max_speed_kmh, 1)
        ),
        segments=_segments(t),
        done=t.done,
        faults=[s.TripFault(fault=f.fault, cause=f.cause) for f in t.faults],
    )


# ---------------------------------------------------------------- telemetry
def _telemetry_energies(sample: m.TelemetrySample) -> list[s.EnergyBase]:
    found: list[s.EnergyBase] = []
    if sample.fuel is not None:
        level = sample.fuel
        found.append(
            s.EnergyBase(
                type=EnergyType.FUEL, level=round(level.level, 1), autonomy=level.autonomy_km
            )
        )
    if sample.electric is not None:
        level = sample.electric
        charging = s.EnergyCharging(plugged=sample.plugged, status=sample.charging_status)
        found.append(
            s.EnergyBase(
                type=EnergyType.ELECTRIC,
                sub_type=EnergySubType.ELECTRIC_ENERGY,
                level=round(level.level, 1),
                autonomy=level.autonomy_km,
                extension=s.EnergyBaseExtension(
                    electric=s.ElectricEnergyBaseExtension(charging=charging)
                ),
            )
        )
    return found


def _thermic(sample: m.TelemetrySample) -> list[s.EngineBase] | None:
    if sample.oil_temp_c is None:
        return None
    coolant = None
    if sample.coolant_temp_c is not None:
        coolant = s.EngineLiquid(temp=round(sample.coolant_temp_c, 1))
    thermic = s.ThermicEngineExtension(
        oil=s.EngineLiquid(temp=round(sample.oil_temp_c, 1)), coolant=coolant
    )
    return [s.EngineBase(type=EngineType.THERMIC, extension=s.EngineExtension(thermic=thermic))]


def _adas(adas: Adas) -> s.Adas:
    park_assist = s.ParkAssist(front=list(adas.park_assist_front), rear=list(adas.park_assist_rear))
    return s.Adas.model_validate(adas).model_copy(update={"park_assist": park_assist})


def _telemetry_vehicle(vehicle: m.Vehicle, sample: m.TelemetrySample) -> s.TelemetryVehicle | None:
    """The ``vehicle`` groups the sample carries (``vehicle`` itself: all of them)."""
    K = m.TelemetryKind
    kinds, state = sample.kinds, vehicle.state
    everything = K.VEHICLE in kinds
    parts: dict[str, Any] = {}

    def wants(kind: m.TelemetryKind) -> bool:
        return everything or kind in kinds

    if wants(K.VEHICLE_IGNITION):
        parts["ignition"] = s.Ignition(created_at=sample.at, type=sample.ignition)
        parts["powertrain"] = s.PowertrainBase(status=sample.powertrain)
        parts["kinetic"] = s.KineticBase(
            speed=round(sample.speed_kmh, 1),
            acceleration=round(sample.acceleration, 2),
            moving=sample.moving,
        )
        parts["odometer"] = s.OdometerBase(mileage=round(sample.mileage_km, 1))
        parts["driving_behavior"] = s.DrivingBehaviorBase(mode=sample.driving_mode)
    if wants(K.VEHICLE_BATTERY):
        parts["battery"] = s.BatteryBase(voltage=round(sample.battery_voltage, 2))
    if wants(K.VEHICLE_DOORS_STATE):
        parts["doors_state"] = s.DoorsStateBase(
            locked_states=list(sample.locked_states),
            opening=[_opening(d, d in sample.open_doors) for d in vehicle.doors],
        )
    if wants(K.VEHICLE_ENERGIES):
        parts["energies"] = _telemetry_energies(sample)
    if wants(K.VEHICLE_ENGINES) and sample.oil_temp_c is not None:
        parts["engines"] = _thermic(sample)
    if wants(K.VEHICLE_TRANSMISSION) and sample.gear is not None:
        mode = s.GearboxMode.model_validate(state.transmission)
        parts["transmission"] = s.Transmission(gearbox=s.Gearbox(ratio=sample.gear, mode=mode))
    if wants(K.VEHICLE_SAFETY):
        parts["safety"] = s.BaseSafety(**_safety(state.safety))
    if wants(K.VEHICLE_LIGHTING_SYSTEM):
        parts["lighting_system"] = s.LightingSystemBase(
            turn=_lights(state.lighting.turn), fog=_lights(state.lighting.fog)
        )
    if wants(K.VEHICLE_WIPING_BLADES):
        parts["wiping_blades"] = s.WipingBladesState.model_validate(state.wiping)
    if wants(K.VEHICLE_ALARM_STATUS):
        parts["alarm"] = s.BaseAlarm(status=s.BaseAlarmStatus(activation=sample.alarm_activation))
    if wants(K.VEHICLE_ADAS):
        parts["adas"] = _adas(state.adas)
    return s.TelemetryVehicle(**parts) if parts else None


def _telemetry_extension(
    sample: m.TelemetrySample, visible: bool, extensions: frozenset[str]
) -> s.TelemetryEmbedded | None:
    location = maintenance = None
    if "location" in extensions and visible and sample.position is not None:
        location = _location(sample.position)
    if "maintenance" in extensions and sample.days_before_maintenance is not None:
        mileage = sample.mileage_before_maintenance_km
        maintenance = s.MaintenanceBase(
            created_at=sample.at,
            days_before_maintenance=sample.days_before_maintenance,
            mileage_before_maintenance=None if mileage is None else round(mileage, 1),
        )
    if location is None and maintenance is None:
        return None
    extension = s.TelemetryExtension(location=location, maintenance=maintenance)
    return s.TelemetryEmbedded(extension=extension)


def telemetry(
    vehicle: m.Vehicle,
    sample: m.TelemetrySample,
    base: str,
    visible: bool,
    extensions: frozenset[str],
) -> s.Telemetry:
    url = vehicle_url(base, vehicle)
    kinds = sample.kinds
    trip = None if sample.trip_id is None else _link(f"{url}/trips/{sample.trip_id}")
    environment = None
    if m.TelemetryKind.ENVIRONMENT in kinds:
        environment = s.EnvironmentBase(
            air=s.AirBase(temp=round(sample.air_temp_c, 1)),
            luminosity=s.LuminosityBase(day=sample.daytime),
        )
    privacy = None
    if m.TelemetryKind.PRIVACY in kinds:
        privacy = s.PrivacyBase(state=sample.privacy)
    return s.Telemetry(
        links=s.TelemetryLinks(
            self_=_link(f"{url}/telemetry/{sample.id}"), vehicle=_link(url), trip=trip
        ),
        created_at=sample.at,
        privacy=privacy,
        vehicle=_telemetry_vehicle(vehicle, sample),
        environment=environment,
        embedded=_telemetry_extension(sample, visible, extensions),
    )


# ---------------------------------------------------------------- monitor event extensions
def _event_record(model: s.ApiModel, exclude: Any = None) -> dict[str, Any]:
    """A record as monitor events carry it: Python values (made JSON by the caller) and,
    as events always had them, ``links`` rather than the read endpoints' ``_links`` and
    no older-generation ``lockedState`` (``exclude`` names it)."""
    data = model.model_dump(by_alias=True, exclude_none=True, exclude=exclude)
    return {("links" if key == "_links" else key): value for key, value in data.items()}


def monitor_extensions(
    vehicle: m.Vehicle, wanted: Sequence[str], base: str, at: float
) -> list[dict[str, Any]]:
    """``MonitorEvent.extensions``: the data a monitor's ``extendedEventParam`` asks for, as
    of the event (the read endpoints' documents; positions only when privacy allows)."""
    now = datetime.fromtimestamp(at, UTC)
    visible = vehicle.state.privacy is m.PrivacyState.NONE
    found: list[dict[str, Any]] = []
    telemetry_kinds: set[str] = set()
    for name in wanted:
        body: list[dict[str, Any]]
        if name.startswith("vehicle.telemetry"):
            telemetry_kinds.add(name.removeprefix("vehicle.telemetry").lstrip("."))
            continue
        if name == "vehicle.doorsState":
            body = [{"doorState": _event_record(_doors(vehicle), exclude={"locked_state"})}]
        elif name == "vehicle.status":
            body = [{"status": s.dump(status(vehicle, base, now, _POSITION_SCOPES))}]
        elif name == "vehicle.maintenance":
            body = [{"maintenance": s.dump(maintenance(vehicle, base, now))}]
        elif name == "vehicle.position":
            body = [{"position": _event_record(last_position(vehicle))}] if visible else []
        elif name == "vehicle.alerts":
            alerts = [
                _event_record(alert(vehicle, a, base, visible)) for a in vehicle.alerts if a.active
            ]
            body = [{"alerts": alerts}]
        elif name == "vehicle.alarm":
            body = [{"alarm": _event_record(_alarm(vehicle.state, visible))}]
        else:  # vehicle.trip: the latest trip
            trips = vehicle.trips
            latest_trip = trips[len(trips) - 1] if len(trips) else None
            body = []
            if latest_trip is not None:
                body = [{"trip": _event_record(trip(vehicle, latest_trip, base, visible))}]
        found.append({"type": name, "body": body})
    if telemetry_kinds:
        found.append(
            {
                "type": "vehicle.telemetry",
                "body": _latest_telemetry(vehicle, base, visible, telemetry_kinds),
            }
        )
    return list(to_jsonable_python(found))


def _latest_telemetry(
    vehicle: m.Vehicle, base: str, visible: bool, kinds: set[str]
) -> list[dict[str, Any]]:
    records = list(vehicle.telemetry)
    if not records:
        return []
    latest = records[-1]
    if "" not in kinds:
        keep = {kind for kind in m.TelemetryKind if kind.value in kinds}
        latest = next((r for r in reversed(records) if r.kinds & keep), latest)
    sample = telemetry(vehicle, latest, base, visible, frozenset())
    legacy = {"vehicle": {"doors_state": {"locked_state"}}}
    return [{"telemetry": _event_record(sample, exclude=legacy)}]
