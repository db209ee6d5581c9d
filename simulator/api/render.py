"""Domain state -> the API's documents (pydantic models of schemas.py).

Every function takes the vehicle (or record), the absolute base URL of the
API (``https://host:port/connectedcar/v4``) and what the token may see.  The
documents are built as plain dicts and validated by the models once, so the
models stay the single source of truth for shapes, enums and integer fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic_core import to_jsonable_python

from simulator.api import schemas as s
from simulator.auth.models import User as UserAccount
from simulator.fleet import models as m

POSITION_HIDDEN = (m.PrivacyState.GEOLOCATION, m.PrivacyState.FULL)


def _link(href: str) -> dict[str, str]:
    return {"href": href}


def vehicle_url(base: str, vehicle: m.Vehicle) -> str:
    return f"{base}/user/vehicles/{vehicle.id}"


def position_visible(vehicle: m.Vehicle, scopes: frozenset[str]) -> bool:
    """Positions are served only with ``data:position`` and privacy ``None``."""
    return "data:position" in scopes and vehicle.state.privacy not in POSITION_HIDDEN


# ---------------------------------------------------------------- positions
def position_dict(p: m.Position, *, with_time: bool = True) -> dict[str, Any]:
    coordinates = [p.lon, p.lat] if p.alt is None else [p.lon, p.lat, p.alt]
    properties: dict[str, Any] = {
        "heading": p.heading,
        "signalQuality": p.signal_quality,
        "type": str(p.kind),
    }
    if p.fix_status is not None and p.kind is m.PositionKind.ACQUIRE:
        properties["fixStatus"] = str(p.fix_status)
    if with_time:
        properties["createdAt"] = p.at
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": coordinates},
        "properties": properties,
    }


def last_position(vehicle: m.Vehicle) -> s.Position:
    return s.Position.model_validate(position_dict(vehicle.state.position))


# ---------------------------------------------------------------- energies
def _remaining(value: timedelta | None) -> timedelta | None:
    return None if value is None else max(value, timedelta(0))


def _charging_dict(c: m.Charging, now: datetime) -> dict[str, Any]:
    # nextDelayedTime is always there, as real cars report it (`PT0S`: no delayed charge
    # pending); clients read it unconditionally (psa-car-controller's charge hour)
    delay = timedelta(0) if c.next_delayed_time is None else c.next_delayed_time - now
    charging: dict[str, Any] = {
        "plugged": c.plugged,
        "status": str(c.status),
        "chargingRate": c.rate_kmh,
        "chargingMode": str(c.mode),
        "nextDelayedTime": max(delay, timedelta(0)),
    }
    if c.remaining is not None:
        charging["remainingTime"] = _remaining(c.remaining)
    if c.power_level is not None:
        charging["chargingPowerLevel"] = str(c.power_level)
    if c.charge_type is not None:
        charging["type"] = str(c.charge_type)
    if c.programs:
        charging["schedule"] = {
            "programs": [
                {
                    "start": p.start,
                    "end": p.end,
                    "enabled": p.enabled,
                    "chargeUntilFull": p.charge_until_full,
                    **({"occurence": {"day": [str(d) for d in p.days]}} if p.days else {}),
                }
                for p in c.programs
            ]
        }
    return charging


def _electric_dict(e: m.ElectricEnergy, at: datetime, now: datetime) -> dict[str, Any]:
    return {
        "createdAt": at,
        "updatedAt": at,
        "type": "Electric",
        "subType": "ElectricEnergy",
        "level": round(e.level, 1),
        "autonomy": e.autonomy_km,
        "extension": {
            "electric": {
                "charging": _charging_dict(e.charging, now),
                "battery": {
                    "capacity": round(e.capacity_kwh * 1000, 1),
                    "load": {
                        "createdAt": at,
                        "capacity": round(e.usable_kwh * 1000),
                        "residual": round(e.residual_kwh * 1000),
                    },
                    "health": {
                        "createdAt": at,
                        "capacity": e.health_capacity_pct,
                        "resistance": e.health_resistance_pct,
                    },
                },
                "consumption": {"consumption": round(e.consumption_kwh_per_100km, 1)},
                "residual": {"consumption": round(e.residual_kwh, 2)},
            }
        },
    }


def _fuel_dict(f: m.FuelEnergy, state: m.VehicleState) -> dict[str, Any]:
    at = state.updated_at
    average = round(f.consumption_l_per_100km, 1)
    # instant: L/100 km (kg for hydrogen) while the engine burns it, 0 otherwise (a parked
    # car, a plug-in hybrid driving on its battery: the living fleet's rule, level > 1 %)
    electric = state.electric
    burning = state.moving and (electric is None or electric.level <= 1.0)
    return {
        "createdAt": at,
        "updatedAt": at,
        "type": "Fuel",
        "subType": str(f.subtype),
        "level": round(f.level, 1),
        "autonomy": f.autonomy_km,
        "extension": {
            "fuel": {
                "consumption": {"consumption": average},
                "consumptions": {
                    # total: cL since new (the reference's unit), from the odometer and
                    # the average consumption (a plug-in hybrid's electric km counted too)
                    "total": round(state.mileage_km * f.consumption_l_per_100km, 1),
                    "instant": average if burning else 0.0,
                },
            }
        },
    }


def energies(state: m.VehicleState, now: datetime) -> list[dict[str, Any]]:
    at = state.updated_at
    found: list[dict[str, Any]] = []
    if state.fuel is not None:
        found.append(_fuel_dict(state.fuel, state))
    if state.electric is not None:
        found.append(_electric_dict(state.electric, at, now))
    return found


# ---------------------------------------------------------------- status parts
def _doors_dict(vehicle: m.Vehicle) -> dict[str, Any]:
    state = vehicle.state
    return {
        "lockedStates": [str(x) for x in state.locked_states],
        "opening": [
            {"identifier": str(door), "state": "Open" if is_open else "Closed"}
            for door, is_open in state.door_states(vehicle.doors)
        ],
    }


def _preconditioning_dict(p: m.Preconditioning, at: datetime) -> dict[str, Any]:
    air: dict[str, Any] = {
        "createdAt": p.updated_at or at,
        "updatedAt": p.updated_at or at,
        "status": str(p.status),
        "programs": [
            {
                "enabled": prog.enabled,
                "slot": prog.slot,
                "recurrence": str(prog.recurrence),
                "start": prog.start,
                **({"occurence": {"day": [str(d) for d in prog.days]}} if prog.days else {}),
            }
            for prog in p.programs
        ],
    }
    if p.starting_cause is not None:
        air["startingCause"] = str(p.starting_cause)
    if p.failure_cause is not None:
        air["failureCause"] = str(p.failure_cause)
    return {"airConditioning": air}


def _engines(state: m.VehicleState, motorization: m.Motorization) -> list[dict[str, Any]]:
    at = state.updated_at
    engines: list[dict[str, Any]] = []
    if state.engine is not None:
        e = state.engine
        engines.append(
            {
                "createdAt": at,
                "type": "Thermic",
                "speed": round(e.speed_rpm),
                "gmpStatus": str(state.powertrain),
                "extension": {
                    "thermic": {
                        "coolant": {
                            "level": e.coolant_level_pct,
                            "temp": round(e.coolant_temp_c, 1),
                        },
                        "oil": {"level": e.oil_level_pct, "temp": round(e.oil_temp_c, 1)},
                        "air": {"temp": round(e.air_temp_c, 1)},
                    }
                },
            }
        )
    if motorization in (m.Motorization.ELECTRIC, m.Motorization.HYBRID):
        engines.append({"createdAt": at, "type": "Electric", "gmpStatus": str(state.powertrain)})
    return engines


def _lights(lights: Iterable[m.Light]) -> list[dict[str, Any]]:
    found = []
    for light in lights:
        item: dict[str, Any] = {"status": str(light.status)}
        if light.direction is not None:
            item["direction"] = str(light.direction)
        if light.position is not None:
            item["position"] = str(light.position)
        found.append(item)
    return found


def _alarm_dict(state: m.VehicleState, with_position: bool) -> dict[str, Any]:
    at = state.updated_at
    alarm: dict[str, Any] = {"status": {"createdAt": at, "activation": str(state.alarm_activation)}}
    trigger = state.alarm_trigger
    if trigger is not None and trigger.trigger is not None:
        alarm["trigger"] = _trigger_dict(trigger, trigger.trigger, with_position)
    return alarm


def _trigger_dict(record: m.Alarm, kind: m.BreakInType, with_position: bool) -> dict[str, Any]:
    """An alarm trigger (break-in) as both Status.alarm and the alarms collection serve it."""
    trigger: dict[str, Any] = {"createdAt": record.at, "type": str(kind), "startAt": record.at}
    if with_position and record.position is not None:
        trigger["position"] = position_dict(record.position)
    return trigger


def status(vehicle: m.Vehicle, base: str, now: datetime, scopes: frozenset[str]) -> s.Status:
    state = vehicle.state
    at = state.updated_at
    url = vehicle_url(base, vehicle)
    visible = position_visible(vehicle, scopes)
    document: dict[str, Any] = {
        "links": {"self": _link(f"{url}/status"), "vehicle": _link(url)},
        "createdAt": at,
        "updatedAt": at,
        "ignition": {"createdAt": at, "type": str(state.ignition)},
        "preconditioning": _preconditioning_dict(state.preconditioning, at),
        "energies": energies(state, now),
        "engines": _engines(state, vehicle.motorization),
        "powertrain": {"createdAt": at, "status": str(state.powertrain)},
        "doorsState": {"createdAt": at, **_doors_dict(vehicle)},
        "privacy": {"createdAt": at, "state": str(state.privacy)},
        "battery": {"createdAt": at, "voltage": round(state.battery_voltage, 2)},
        "service": {"createdAt": at, "type": str(vehicle.service_type)},
        "safety": {
            "createdAt": at,
            "beltStatus": [{"id": str(b.seat), "belt": str(b.state)} for b in state.safety.belts],
            "autoECallTriggering": str(state.safety.auto_ecall),
        },
        "odometer": {"createdAt": at, "mileage": round(state.mileage_km, 1)},
        "kinetic": {
            "createdAt": at,
            "acceleration": round(state.acceleration, 2),
            "speed": round(state.speed_kmh, 1),
            "moving": state.moving,
        },
        "environment": {
            "luminosity": {"createdAt": at, "day": state.daytime},
            "air": {"createdAt": at, "temp": round(state.air_temp_c, 1)},
        },
        "drivingBehavior": {"createdAt": at, "mode": str(state.driving_mode)},
        "lightingSystem": {
            "createdAt": at,
            "turn": _lights(state.lighting.turn),
            "fog": _lights(state.lighting.fog),
        },
        "alarm": _alarm_dict(state, visible),
    }
    if visible:
        document["lastPosition"] = position_dict(state.position)
    return s.Status.model_validate(document)


# ---------------------------------------------------------------- vehicles, user
def _extension(vehicle: m.Vehicle, wanted: frozenset[str]) -> dict[str, Any]:
    ext: dict[str, Any] = {}
    if "branding" in wanted:
        ext["branding"] = {"brand": vehicle.brand, "label": vehicle.label}
    if "pictures" in wanted:
        ext["pictures"] = list(vehicle.pictures)
    if "onboardCapabilities" in wanted:
        electric = vehicle.state.electric is not None
        supported = {"supported": True}
        ext["onboardCapabilities"] = {
            "data": [
                "data:telemetry",
                "data:position",
                "data:trip",
                "data:alert",
                "data:collision",
            ],
            "remote": {
                "preconditioning": {
                    "supported": True,
                    "scopeName": "remote:preconditioning:write",
                    "parameters": {"programs": {"size": 4}, "immediate": True},
                },
                "door": {**supported, "scopeName": "remote:door:write"},
                "horn": {**supported, "scopeName": "remote:horn:write"},
                "charging": {
                    "supported": electric,
                    "scopeName": "remote:charging:write",
                    "parameters": {
                        "immediate": {"start": electric, "stop": electric},
                        "schedule": {
                            "programs": {"supported": electric, "size": 4},
                            "nextDelayedTime": electric,
                            "preferences": {"level": electric, "type": electric},
                        },
                        "preferences": {"level": electric, "type": electric},
                    },
                },
                "lights": {**supported, "scopeName": "remote:lights:write"},
                "wakeup": {**supported, "scopeName": "remote:wakeup:write"},
                "navigation": {**supported, "scopeName": "remote:navigation:write"},
            },
        }
    return ext


def vehicle_dict(
    vehicle: m.Vehicle, base: str, extensions: frozenset[str] = frozenset()
) -> dict[str, Any]:
    url = vehicle_url(base, vehicle)
    document: dict[str, Any] = {
        "links": {
            "self": _link(url),
            "user": _link(f"{base}/user"),
            "status": _link(f"{url}/status"),
            "lastPosition": _link(f"{url}/lastPosition"),
            "trips": _link(f"{url}/trips"),
            "maintenance": _link(f"{url}/maintenance"),
            "alerts": _link(f"{url}/alerts"),
            "telemetry": _link(f"{url}/telemetry"),
            "collisions": _link(f"{url}/collisions"),
            "alarms": _link(f"{url}/alarms"),
        },
        "createdAt": vehicle.created_at,
        "updatedAt": vehicle.updated_at,
        "id": vehicle.id,
        "vin": vehicle.vin,
        "motorization": str(vehicle.motorization),
        "brand": vehicle.brand,
        "label": vehicle.label,
        "pictures": list(vehicle.pictures),
    }
    if extensions:
        document["embedded"] = {"extension": _extension(vehicle, extensions)}
    return document


def vehicle(vehicle: m.Vehicle, base: str, extensions: frozenset[str] = frozenset()) -> s.Vehicle:
    return s.Vehicle.model_validate(vehicle_dict(vehicle, base, extensions))


def user(account: UserAccount, vehicles: list[m.Vehicle], base: str, now: datetime) -> s.User:
    return s.User.model_validate(
        {
            "links": {"self": _link(f"{base}/user"), "vehicles": _link(f"{base}/user/vehicles")},
            "createdAt": min((v.created_at for v in vehicles), default=now),
            "updatedAt": now,
            "email": account.email,
            "firstName": account.first_name,
            "lastName": account.last_name,
            "embedded": {"Vehicles": [vehicle_dict(v, base) for v in vehicles]},
        }
    )


# ---------------------------------------------------------------- records
def alert_dict(vehicle: m.Vehicle, alert: m.Alert, base: str, visible: bool) -> dict[str, Any]:
    url = vehicle_url(base, vehicle)
    links: dict[str, Any] = {"self": _link(f"{url}/alerts/{alert.id}"), "vehicle": _link(url)}
    if alert.trip_id is not None:
        links["trips"] = [_link(f"{url}/trips/{alert.trip_id}")]
    document: dict[str, Any] = {
        "links": links,
        "createdAt": alert.started_at,
        "updatedAt": alert.updated_at,
        "id": alert.id,
        "active": alert.active,
        "type": str(alert.type),
        "severity": str(alert.severity),
        "startedAt": alert.started_at,
    }
    if alert.ended_at is not None:
        document["endAt"] = alert.ended_at
    if visible and alert.start_position is not None:
        document["startPosition"] = position_dict(alert.start_position)
    if visible and alert.end_position is not None:
        document["endPosition"] = position_dict(alert.end_position)
    return document


def collision_dict(vehicle: m.Vehicle, c: m.Collision, base: str) -> dict[str, Any]:
    url = vehicle_url(base, vehicle)
    links: dict[str, Any] = {"self": _link(f"{url}/collisions/{c.id}"), "vehicle": _link(url)}
    if c.trip_id is not None:
        links["trip"] = _link(f"{url}/trips/{c.trip_id}")
    document: dict[str, Any] = {
        "links": links,
        "id": c.id,
        "createdAt": c.at,
        "updatedAt": c.at,
        "details": [
            {"side": str(d.side), **({"severity": str(d.severity)} if d.severity else {})}
            for d in c.details
        ],
    }
    if c.tipped_over is not None:
        document["tippedOver"] = c.tipped_over
    if c.pedestrian is not None:
        document["pedestrian"] = c.pedestrian
    return document


def alarm_dict(vehicle: m.Vehicle, a: m.Alarm, base: str, visible: bool) -> dict[str, Any]:
    url = vehicle_url(base, vehicle)
    document: dict[str, Any] = {
        "links": {"self": _link(f"{url}/alarms/{a.id}"), "vehicle": _link(url)},
        "id": a.id,
    }
    if a.activation is not None:
        document["status"] = {"createdAt": a.at, "activation": str(a.activation)}
    if a.trigger is not None:
        document["trigger"] = _trigger_dict(a, a.trigger, visible)
    return document


def maintenance(vehicle: m.Vehicle, base: str, now: datetime) -> s.Maintenance:
    url = vehicle_url(base, vehicle)
    record = vehicle.maintenance
    return s.Maintenance.model_validate(
        {
            "links": {
                "self": _link(f"{url}/maintenance"),
                "vehicle": _link(url),
                "alerts": _link(f"{url}/alerts"),
            },
            "createdAt": record.updated_at,
            "updatedAt": record.updated_at,
            "daysBeforeMaintenance": record.days_before(now),
            "mileageBeforeMaintenance": round(record.mileage_before(vehicle.state.mileage_km), 1),
        }
    )


def _lite(kind: str, level: m.EnergyLevel | None) -> list[dict[str, Any]]:
    if level is None:
        return []
    return [{"type": kind, "level": round(level.level, 1), "autonomy": level.autonomy_km}]


def trip_dict(vehicle: m.Vehicle, t: m.Trip, base: str, visible: bool) -> dict[str, Any]:
    url = vehicle_url(base, vehicle)
    trip_url = f"{url}/trips/{t.id}"
    consumptions: list[dict[str, Any]] = []
    if t.fuel_used is not None:
        fuel: dict[str, Any] = {"type": "Fuel", "consumption": round(t.fuel_used, 2)}
        if t.fuel_avg_per_100km is not None:
            fuel["avgConsumption"] = round(t.fuel_avg_per_100km, 2)
        consumptions.append(fuel)
    if t.electric_used_kwh is not None:
        electric: dict[str, Any] = {
            "type": "Electric",
            "consumption": round(t.electric_used_kwh, 2),
        }
        if t.electric_avg_kwh_per_100km is not None:
            electric["avgConsumption"] = round(t.electric_avg_kwh_per_100km, 2)
        consumptions.append(electric)
    segments = []
    if t.distance_km > 0:
        for propulsion, distance in (
            ("Electric", t.electric_distance_km),
            ("Thermal", t.thermal_distance_km),
        ):
            if distance > 0:
                segments.append(
                    {
                        "propulsion": propulsion,
                        "distance": round(distance, 2),
                        "percent": round(100 * distance / t.distance_km, 1),
                    }
                )
    document: dict[str, Any] = {
        "links": {
            "self": _link(trip_url),
            "vehicle": _link(url),
            "waypoints": _link(f"{trip_url}/wayPoints"),
            "alerts": _link(f"{trip_url}/alerts"),
            "collisions": _link(f"{trip_url}/collisions"),
        },
        "id": t.id,
        "createdAt": t.started_at,
        "updatedAt": t.updated_at,
        "startedAt": t.started_at,
        "duration": t.duration_s,
        "distance": round(t.distance_km, 2),
        "startMileage": round(t.start_mileage_km, 1),
        "startEnergies": _lite("Fuel", t.fuel_start) + _lite("Electric", t.electric_start),
        "endEnergies": _lite("Fuel", t.fuel_end) + _lite("Electric", t.electric_end),
        "energyConsumptions": consumptions,
        "kinetic": {"avgSpeed": round(t.avg_speed_kmh, 1), "maxSpeed": round(t.max_speed_kmh, 1)},
        "segments": segments,
        "done": t.done,
        "faults": [
            {"fault": str(f.fault), **({"cause": str(f.cause)} if f.cause else {})}
            for f in t.faults
        ],
    }
    if t.ended_at is not None:
        document["stoppedAt"] = t.ended_at
    if visible and t.start_position is not None:
        document["startPosition"] = position_dict(t.start_position)
    if visible and t.end_position is not None:
        document["stopPosition"] = position_dict(t.end_position)
    return document


def telemetry_dict(
    vehicle: m.Vehicle,
    sample: m.TelemetrySample,
    base: str,
    visible: bool,
    extensions: frozenset[str],
) -> dict[str, Any]:
    url = vehicle_url(base, vehicle)
    kinds = sample.kinds
    K = m.TelemetryKind
    car: dict[str, Any] = {}
    all_vehicle = K.VEHICLE in kinds

    def wants(kind: m.TelemetryKind) -> bool:
        return all_vehicle or kind in kinds

    if wants(K.VEHICLE_IGNITION):
        car["ignition"] = {"createdAt": sample.at, "type": str(sample.ignition)}
        car["powertrain"] = {"status": str(sample.powertrain)}
        car["kinetic"] = {
            "speed": round(sample.speed_kmh, 1),
            "acceleration": round(sample.acceleration, 2),
            "moving": sample.moving,
        }
        car["odometer"] = {"mileage": round(sample.mileage_km, 1)}
        car["drivingBehavior"] = {"mode": str(sample.driving_mode)}
    if wants(K.VEHICLE_BATTERY):
        car["battery"] = {"voltage": round(sample.battery_voltage, 2)}
    if wants(K.VEHICLE_DOORS_STATE):
        car["doorsState"] = {
            "lockedStates": [str(x) for x in sample.locked_states],
            "opening": [
                {"identifier": str(d), "state": "Open" if d in sample.open_doors else "Closed"}
                for d in vehicle.doors
            ],
        }
    if wants(K.VEHICLE_ENERGIES):
        found = []
        if sample.fuel is not None:
            found.append(
                {
                    "type": "Fuel",
                    "level": round(sample.fuel.level, 1),
                    "autonomy": sample.fuel.autonomy_km,
                }
            )
        if sample.electric is not None:
            electric: dict[str, Any] = {
                "type": "Electric",
                "subType": "ElectricEnergy",
                "level": round(sample.electric.level, 1),
                "autonomy": sample.electric.autonomy_km,
                "extension": {"electric": {"charging": {"plugged": sample.plugged}}},
            }
            if sample.charging_status is not None:
                electric["extension"]["electric"]["charging"]["status"] = str(
                    sample.charging_status
                )
            found.append(electric)
        car["energies"] = found
    if wants(K.VEHICLE_ENGINES) and sample.oil_temp_c is not None:
        thermic: dict[str, Any] = {"oil": {"temp": round(sample.oil_temp_c, 1)}}
        if sample.coolant_temp_c is not None:
            thermic["coolant"] = {"temp": round(sample.coolant_temp_c, 1)}
        car["engines"] = [{"type": "Thermic", "extension": {"thermic": thermic}}]
    state = vehicle.state
    if wants(K.VEHICLE_TRANSMISSION) and sample.gear is not None:
        tr = state.transmission
        car["transmission"] = {
            "gearbox": {
                "ratio": str(sample.gear),
                "mode": {
                    "automatic": tr.automatic,
                    "sport": tr.sport,
                    "snow": tr.snow,
                    "sequential": tr.sequential,
                    "semiManual": tr.semi_manual,
                },
            }
        }
    if wants(K.VEHICLE_SAFETY):
        car["safety"] = {
            "beltStatus": [{"id": str(b.seat), "belt": str(b.state)} for b in state.safety.belts],
            "autoECallTriggering": str(state.safety.auto_ecall),
        }
    if wants(K.VEHICLE_LIGHTING_SYSTEM):
        car["lightingSystem"] = {
            "turn": _lights(state.lighting.turn),
            "fog": _lights(state.lighting.fog),
        }
    if wants(K.VEHICLE_WIPING_BLADES):
        wiping: dict[str, Any] = {"active": state.wiping.active}
        if state.wiping.speed is not None:
            wiping["speed"] = str(state.wiping.speed)
        car["wipingBlades"] = wiping
    if wants(K.VEHICLE_ALARM_STATUS):
        car["alarm"] = {"status": {"activation": str(sample.alarm_activation)}}
    if wants(K.VEHICLE_ADAS):
        adas = state.adas
        car["adas"] = {
            "parkAssist": {
                "front": list(adas.park_assist_front),
                "rear": list(adas.park_assist_rear),
            },
            "accr": adas.accr,
            "lvv": adas.lvv,
            "rvv": adas.rvv,
            "aebs": adas.aebs,
            "afil": adas.afil,
            "artiv": adas.artiv,
            "bsm": adas.bsm,
            "esp": adas.esp,
            "abs": adas.abs,
            "fse": adas.fse,
            "rlka": adas.rlka,
            "llka": adas.llka,
            "rgi": adas.rgi,
            **({"sli": adas.sli} if adas.sli is not None else {}),
        }
    links: dict[str, Any] = {"self": _link(f"{url}/telemetry/{sample.id}"), "vehicle": _link(url)}
    if sample.trip_id is not None:
        links["trip"] = _link(f"{url}/trips/{sample.trip_id}")
    document: dict[str, Any] = {"links": links, "createdAt": sample.at}
    if car:
        document["vehicle"] = car
    if K.PRIVACY in kinds:
        document["privacy"] = {"state": str(sample.privacy)}
    if K.ENVIRONMENT in kinds:
        document["environment"] = {
            "air": {"temp": round(sample.air_temp_c, 1)},
            "luminosity": {"day": sample.daytime},
        }
    ext: dict[str, Any] = {}
    if "location" in extensions and visible and sample.position is not None:
        ext["location"] = position_dict(sample.position, with_time=False)
    if "maintenance" in extensions and sample.days_before_maintenance is not None:
        ext["maintenance"] = {
            "createdAt": sample.at,
            "daysBeforeMaintenance": sample.days_before_maintenance,
            **(
                {"mileageBeforeMaintenance": round(sample.mileage_before_maintenance_km, 1)}
                if sample.mileage_before_maintenance_km is not None
                else {}
            ),
        }
    if ext:
        document["embedded"] = {"extension": ext}
    return document


def waypoint_dict(p: m.Position) -> dict[str, Any]:
    return position_dict(p)


# ---------------------------------------------------------------- monitor event extensions
def _jsonable(model: s.ApiModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


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
            body = [{"doorState": {"createdAt": vehicle.state.updated_at, **_doors_dict(vehicle)}}]
        elif name == "vehicle.status":
            body = [{"status": _jsonable(status(vehicle, base, now, _POSITION_SCOPES))}]
        elif name == "vehicle.maintenance":
            body = [{"maintenance": _jsonable(maintenance(vehicle, base, now))}]
        elif name == "vehicle.position":
            body = [{"position": position_dict(vehicle.state.position)}] if visible else []
        elif name == "vehicle.alerts":
            alerts = [alert_dict(vehicle, a, base, visible) for a in vehicle.alerts if a.active]
            body = [{"alerts": alerts}]
        elif name == "vehicle.alarm":
            body = [{"alarm": _alarm_dict(vehicle.state, visible)}]
        else:  # vehicle.trip: the latest trip
            trips = vehicle.trips
            body = (
                [{"trip": trip_dict(vehicle, trips[len(trips) - 1], base, visible)}]
                if len(trips)
                else []
            )
        found.append({"type": name, "body": body})
    if telemetry_kinds:
        records = list(vehicle.telemetry)
        body = []
        if records:
            latest = records[-1]
            if "" not in telemetry_kinds:
                keep = {kind for kind in m.TelemetryKind if kind.value in telemetry_kinds}
                latest = next((r for r in reversed(records) if r.kinds & keep), latest)
            body = [{"telemetry": telemetry_dict(vehicle, latest, base, visible, frozenset())}]
        found.append({"type": "vehicle.telemetry", "body": body})
    return list(to_jsonable_python(found))


_POSITION_SCOPES = frozenset({"data:position"})
