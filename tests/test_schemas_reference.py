"""Our read-endpoint models against the official reference, and their wire rules.

The reference checks need ``../shared/reference`` (present in CI only) and are
skipped without it; the wire-format checks (integers, ``Z`` timestamps, legacy
members, enum strings, omitted ``None``) always run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from reference import reference_available, validate_response, validate_schema

from simulator.api import schemas as s
from simulator.fleet.enums import LockedState

needs_reference = pytest.mark.skipif(
    not reference_available(),
    reason="official reference ../shared/reference not present (CI only)",
)

BASE = "https://localhost:8443/connectedcar/v4"
VID = "WyWCM2b7hRrxP5tZ"
T0 = datetime(2026, 1, 1, 7, 0, 3, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))


def link(path: str) -> s.Link:
    return s.Link(href=f"{BASE}{path}?client_id=demo-client")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# ---------------------------------------------------------------------------
# Example instances
# ---------------------------------------------------------------------------


def position(
    minutes: float = 0, lon: float = 2.2945, lat: float = 48.8584, heading: float = 89.6
) -> s.Position:
    return s.Position(
        geometry=s.Point(coordinates=[lon, lat, 35.0]),
        properties=s.PositionProperties(
            createdAt=at(minutes), heading=heading, type="Acquire", signalQuality=4, fixStatus="3D"
        ),
    )


def doors(*locked: s.LockedState) -> s.DoorsState:
    return s.DoorsState(
        createdAt=at(-3),
        lockedStates=list(locked),
        opening=[
            s.DoorOpening(identifier=ident, state="Closed")
            for ident in ("Driver", "Passenger", "RearLeft", "RearRight", "Trunk")
        ],
    )


def preconditioning() -> s.Preconditioning:
    return s.Preconditioning(
        airConditioning=s.AirConditioning(
            createdAt=at(-10),
            updatedAt=at(-10),
            status="Disabled",
            failureCause="LowBattery",
            programs=[
                s.PreconditioningProgram(
                    slot=1,
                    enabled=True,
                    recurrence="Daily",
                    start=timedelta(hours=7, minutes=30),
                    occurence=s.Occurence(day=["Mon", "Tue", "Wed", "Thu", "Fri"]),
                ),
                s.PreconditioningProgram(
                    slot=2, enabled=False, recurrence="None", start=timedelta(hours=18)
                ),
            ],
        )
    )


def electric_energy() -> s.Energy:
    return s.Energy(
        createdAt=at(-1),
        updatedAt=at(-1),
        type="Electric",
        subType="ElectricEnergy",
        level=64.5,
        autonomy=211.7,
        extension=s.EnergyExtension(
            electric=s.ElectricEnergyExtension(
                charging=s.EnergyCharging(
                    plugged=True,
                    status="InProgress",
                    remainingTime=timedelta(hours=1, minutes=30),
                    chargingRate=32.4,
                    chargingPowerLevel="Level2",
                    chargingMode="Slow",
                    nextDelayedTime=timedelta(0),
                    type="Full",
                    schedule=s.ChargeSchedule(
                        programs=[
                            s.ChargeScheduleProgram(
                                start=timedelta(hours=22),
                                end=timedelta(hours=6),
                                enabled=True,
                                chargeUntilFull=False,
                                occurence=s.Occurence(day=["Sat", "Sun"]),
                            )
                        ]
                    ),
                ),
                battery=s.EnergyBattery(
                    load=s.TimedLoadElectricEnergy(
                        createdAt=at(-1), capacity=46000, residual=29670
                    ),
                    health=s.TimedHealthElectricEnergy(
                        createdAt=at(-60), capacity=97, resistance=99
                    ),
                ),
                consumption=s.Consumption(consumption=15.8),
                residual=s.Consumption(consumption=29.7),
            )
        ),
    )


def fuel_energy() -> s.Energy:
    return s.Energy(
        createdAt=at(-1),
        type="Fuel",
        subType="FossilEnergy",
        level=41.0,
        autonomy=380,
        extension=s.EnergyExtension(
            fuel=s.FuelEnergyExtension(
                consumption=s.Consumption(consumption=0.0),
                consumptions=s.CompositFuelEnergyConsumption(total=1834.2, instant=0.0),
            )
        ),
    )


def status(kind: str) -> s.Status:
    """A parked, fully populated status of an electric, thermic or hybrid car."""
    energies = {
        "electric": [electric_energy()],
        "thermic": [fuel_energy()],
        "hybrid": [fuel_energy(), electric_energy()],
    }[kind]
    engines: list[s.Engine] = []
    if kind != "electric":
        engines.append(
            s.Engine(
                createdAt=at(-5),
                type="Thermic",
                speed=0.0,
                extension=s.EngineExtension(
                    thermic=s.ThermicEngineExtension(
                        coolant=s.EngineLiquid(level=100, temp=21.0),
                        oil=s.EngineLiquid(level=88, temp=24.5),
                        air=s.EngineAir(temp=8.0),
                    )
                ),
            )
        )
    if kind != "thermic":
        engines.append(s.Engine(createdAt=at(-5), type="Electric", speed=0.0))
    return s.Status(
        links=s.StatusLinks(self_=link(f"/user/vehicles/{VID}/status"), vehicle=link("/x")),
        createdAt=T0,
        updatedAt=T0,
        ignition=s.Ignition(createdAt=at(-20), type="Stop"),
        lastPosition=position(),
        preconditioning=preconditioning(),
        energies=energies,
        engines=engines,
        powertrain=s.Powertrain(createdAt=at(-20), status="Stopped"),
        doorsState=doors("Locked", "TrunkLocked"),
        privacy=s.Privacy(createdAt=at(-600), state="None"),
        battery=s.Battery(createdAt=at(-2), voltage=12.4),
        service=s.ServiceType(
            createdAt=at(-600),
            type={"electric": "Electric", "hybrid": "Hybrid"}.get(kind, "Unknown"),
        ),
        safety=s.Safety(
            createdAt=at(-20),
            beltStatus=[
                s.BeltStatus(id="Driver", belt="Normal"),
                s.BeltStatus(id="Passenger", belt="Omission"),
            ],
            autoECallTriggering="NotDetected",
        ),
        odometer=s.Odometer(createdAt=at(-20), mileage=12873.4),
        kinetic=s.Kinetic(createdAt=at(-20), speed=0.0, acceleration=0.0, moving=False),
        environment=s.Environment(
            air=s.Air(createdAt=at(-2), temp=7.5),
            luminosity=s.Luminosity(createdAt=at(-2), day=True),
        ),
        drivingBehavior=s.DrivingBehavior(
            createdAt=at(-20), mode={"electric": "ZEV", "hybrid": "Hybrid"}.get(kind, "Normal")
        ),
        lightingSystem=s.LightingSystem(
            createdAt=at(-20),
            turn=[
                s.Light(direction="Left", position="Front", status="Off"),
                s.Light(direction="Right", position="Front", status="On"),
            ],
            fog=[s.Light(direction="Left", position="Rear", status="Off")],
        ),
        alarm=s.Alarm(
            status=s.AlarmStatus(createdAt=at(-20), activation="Active"),
            trigger=s.AlarmTrigger(
                createdAt=at(-30), type="NoBreakIn", startAt=at(-30), position=position(-30)
            ),
        ),
    )


def vehicle(extension: bool = False) -> s.Vehicle:
    vpath = f"/user/vehicles/{VID}"
    embedded = None
    if extension:
        simple = {"supported": True}
        embedded = s.VehicleEmbedded(
            extension=s.VehicleExtension(
                branding=s.VehicleBranding(brand="Peugeot", label="e-208"),
                pictures=["https://localhost:8443/pictures/e208.png"],
                onboardCapabilities=s.OnboardCapabilities(
                    data=["data:telemetry", "data:position", "data:trip", "data:alert"],
                    remote=s.RemoteCapabilities(
                        preconditioning=s.PreconditioningCapability(
                            supported=True,
                            parameters=s.PreconditioningCapabilityParameters(
                                programs=s.ProgramsCapability(size=4), immediate=True
                            ),
                        ),
                        charging=s.ChargingCapability(
                            supported=True,
                            parameters=s.ChargingCapabilityParameters(
                                immediate=s.ImmediateChargingCapability(start=True, stop=True),
                                schedule=s.ChargingScheduleCapability(
                                    programs=s.ScheduleProgramsCapability(supported=True, size=4),
                                    nextDelayedTime=True,
                                    preferences=s.ChargingPreferencesCapability(
                                        level=True, type=True
                                    ),
                                ),
                                preferences=s.ChargingPreferencesCapability(level=True, type=True),
                            ),
                        ),
                        door=s.RemoteCapability(**simple, scopeName="remote:door:write"),
                        horn=s.RemoteCapability(**simple, scopeName="remote:horn:write"),
                        lights=s.RemoteCapability(**simple, scopeName="remote:lights:write"),
                        wakeup=s.RemoteCapability(**simple, scopeName="remote:wakeup:write"),
                        navigation=s.RemoteCapability(
                            supported=False, scopeName="remote:navigation:write"
                        ),
                    ),
                ),
            )
        )
    return s.Vehicle(
        links=s.VehicleLinks(
            self_=link(vpath),
            user=link("/user"),
            lastPosition=link(f"{vpath}/lastPosition"),
            status=link(f"{vpath}/status"),
            trips=link(f"{vpath}/trips"),
            alerts=link(f"{vpath}/alerts"),
            alarms=link(f"{vpath}/alarms"),
            maintenance=link(f"{vpath}/maintenance"),
            telemetry=link(f"{vpath}/telemetry"),
            collisions=link(f"{vpath}/collisions"),
            callbacks=link("/user/callbacks"),
        ),
        createdAt=at(-60 * 24 * 90),
        updatedAt=T0,
        id=VID,
        vin="VR3UHZKXZLT123456",
        motorization="Electric",
        brand="Peugeot",
        label="e-208",
        pictures=["https://localhost:8443/pictures/e208.png"],
        callCenter=s.CallCenter(stolen=s.StolenCallCenter(countryCode="BR", phoneNumber="+55")),
        embedded=embedded,
    )


def user() -> s.User:
    return s.User(
        links=s.UserLinks(self_=link("/user"), vehicles=link("/user/vehicles")),
        createdAt=at(-60 * 24 * 365),
        updatedAt=T0,
        email="jane.doe@example.com",
        firstName="Jane",
        lastName="Doe",
        embedded=s.UserEmbedded(Vehicles=[vehicle()]),
    )


def tab_links(path: str, last: bool = False) -> s.TabLinks:
    return s.TabLinks(
        self_=link(path),
        first=link(path),
        last=link(path) if last else None,
    )


def alert() -> s.Alert:
    return s.Alert(
        links=s.AlertLinks(
            self_=link(f"/user/vehicles/{VID}/alerts/al1"),
            vehicle=link(f"/user/vehicles/{VID}"),
            trips=[link(f"/user/vehicles/{VID}/trips/tr1")],
        ),
        createdAt=at(-30),
        updatedAt=at(-5),
        id="al1",
        active=False,
        type="LeftFrontTireUnderInflated",
        severity="Warning",
        startedAt=at(-30),
        endAt=at(-5),
        startPosition=position(-30),
        endPosition=position(-5),
    )


def collision() -> s.Collision:
    return s.Collision(
        links=s.CollisionLinks(
            self_=link(f"/user/vehicles/{VID}/collisions/co1"),
            vehicle=link(f"/user/vehicles/{VID}"),
            trip=link(f"/user/vehicles/{VID}/trips/tr1"),
        ),
        id="co1",
        createdAt=at(-40),
        updatedAt=at(-40),
        details=[s.CollisionDetails(side="Front", severity="Minor")],
        tippedOver=False,
        pedestrian=False,
    )


def trip(faults: bool = False) -> s.Trip:
    tpath = f"/user/vehicles/{VID}/trips/tr1"
    return s.Trip(
        links=s.TripLinks(
            self_=link(tpath),
            vehicle=link(f"/user/vehicles/{VID}"),
            waypoints=link(f"{tpath}/wayPoints"),
            alerts=link(f"{tpath}/alerts"),
            collisions=link(f"{tpath}/collisions"),
        ),
        id="tr1",
        createdAt=at(-45),
        updatedAt=at(-20),
        startedAt=at(-45),
        stoppedAt=at(-20),
        startPosition=position(-45, 2.35, 48.85),
        stopPosition=position(-20),
        duration=1500.2,
        distance=14.2,
        startMileage=12859.2,
        startEnergies=[
            s.LiteEnergy(type="Electric", subType="ElectricEnergy", level=68, autonomy=224)
        ],
        endEnergies=[
            s.LiteEnergy(type="Electric", subType="ElectricEnergy", level=64.5, autonomy=211)
        ],
        energyConsumptions=[
            s.EnergyConsumption(
                type="Electric", subType="ElectricEnergy", consumption=1.6, avgConsumption=11267.6
            )
        ],
        kinetic=s.TripKinetic(avgSpeed=34.1, maxSpeed=71.0),
        segments=[s.TripSegment(propulsion="Electric", percent=100.0, distance=14.2)],
        done=True,
        faults=[s.TripFault(fault="DataLacking", cause="Connection")] if faults else [],
    )


def maintenance() -> s.Maintenance:
    return s.Maintenance(
        links=s.MaintenanceLinks(
            self_=link(f"/user/vehicles/{VID}/maintenance"),
            vehicle=link(f"/user/vehicles/{VID}"),
            alerts=link(f"/user/vehicles/{VID}/alerts"),
        ),
        createdAt=at(-60),
        updatedAt=at(-60),
        daysBeforeMaintenance=212.0,
        mileageBeforeMaintenance=17126.6,
    )


def telemetry() -> s.Telemetry:
    return s.Telemetry(
        links=s.TelemetryLinks(
            self_=link(f"/user/vehicles/{VID}/telemetry/te1"),
            vehicle=link(f"/user/vehicles/{VID}"),
            trip=link(f"/user/vehicles/{VID}/trips/tr1"),
        ),
        createdAt=at(-25),
        privacy=s.PrivacyBase(state="None"),
        environment=s.EnvironmentBase(
            air=s.AirBase(temp=7.0), luminosity=s.LuminosityBase(day=True)
        ),
        vehicle=s.TelemetryVehicle(
            ignition=s.Ignition(createdAt=at(-25), type="Start"),
            kinetic=s.KineticBase(speed=48.0, acceleration=0.3, moving=True),
            odometer=s.OdometerBase(mileage=12866.0),
            doorsState=s.DoorsStateBase(lockedStates=["Unlocked"]),
            battery=s.BatteryBase(voltage=14.1),
            powertrain=s.PowertrainBase(status="Running"),
            drivingBehavior=s.DrivingBehaviorBase(mode="Eco"),
            lightingSystem=s.LightingSystemBase(turn=[s.Light(direction="Left", status="On")]),
            safety=s.BaseSafety(beltStatus=[s.BeltStatus(id="Driver", belt="Normal")]),
            wipingBlades=s.WipingBladesState(active=False),
            transmission=s.Transmission(
                gearbox=s.Gearbox(mode=s.GearboxMode(automatic=True), ratio="Ratio1")
            ),
            adas=s.Adas(
                parkAssist=s.ParkAssist(front=["Wait"], rear=["Active"]),
                accr="Off",
                rvv="Off",
                aebs="off",
                afil="Off",
                esp=True,
                abs=True,
                sli=50,
                rgi="None",
            ),
            engines=[s.EngineBase(type="Electric", speed=3120.0)],
            energies=[
                s.EnergyBase(
                    type="Electric",
                    level=66.0,
                    autonomy=217,
                    extension=s.EnergyBaseExtension(
                        electric=s.ElectricEnergyBaseExtension(
                            battery=s.EnergyBatteryBase(
                                load=s.LoadElectricEnergy(capacity=46000, residual=30360)
                            ),
                            charging=s.EnergyCharging(
                                plugged=False, status="Disconnected", chargingMode="No"
                            ),
                        )
                    ),
                )
            ],
            alarm=s.BaseAlarm(status=s.BaseAlarmStatus(activation="Inactive")),
        ),
        embedded=s.TelemetryEmbedded(
            extension=s.TelemetryExtension(
                location=s.PositionBase(
                    geometry=s.Point(coordinates=[2.31, 48.86]),
                    properties=s.PositionPropertiesBase(heading=270, type="Estimated"),
                ),
                maintenance=s.MaintenanceBase(createdAt=at(-60), daysBeforeMaintenance=212),
            )
        ),
    )


def alarm_details() -> s.AlarmDetails:
    return s.AlarmDetails(
        links=s.AlarmLinks(
            self_=link(f"/user/vehicles/{VID}/alarms/am1"), vehicle=link(f"/user/vehicles/{VID}")
        ),
        id="am1",
        status=s.AlarmStatus(createdAt=at(-90), activation="Active"),
        trigger=s.AlarmTrigger(
            createdAt=at(-90), type="VolumetricBreakIn", startAt=at(-91), position=position(-91)
        ),
    )


def error_body(debug: str | None = "callback.webhook.target") -> s.ErrorBody:
    return s.ErrorBody(
        code=40001,
        uuid="5f0c8e0a-1f3b-4a8e-9d57-1c5b3a3f0d11",
        message="callback.webhook.target must be an https URL",
        timestamp=T0,
        debug=debug,
    )


def page(cls: type[s.CollectionResult[Any]], path: str, items: list[Any]) -> Any:
    return cls.from_items(items, links=tab_links(path, last=True), total=len(items))


# ---------------------------------------------------------------------------
# Walking dumped JSON
# ---------------------------------------------------------------------------


def walk(data: object, path: str = "$") -> Iterator[tuple[str, object]]:
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk(value, f"{path}.{key}")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from walk(value, f"{path}[{i}]")


ALL_EXAMPLES: dict[str, Any] = {
    "status-electric": lambda: status("electric"),
    "status-thermic": lambda: status("thermic"),
    "status-hybrid": lambda: status("hybrid"),
    "position": position,
    "vehicle": lambda: vehicle(extension=True),
    "user": user,
    "alert": alert,
    "collision": collision,
    "trip": trip,
    "maintenance": maintenance,
    "telemetry": telemetry,
    "alarm": alarm_details,
    "error": error_body,
    "vehicles-page": lambda: page(s.VehiclesPage, "/user/vehicles", [vehicle()]),
    "empty-alerts-page": lambda: page(s.AlertsPage, f"/user/vehicles/{VID}/alerts", []),
}

DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?")
DURATION = re.compile(r"^PT(\d+H)?(\d+M)?(\d+(\.\d+)?S)?$")

# ---------------------------------------------------------------------------
# Against the reference
# ---------------------------------------------------------------------------


@needs_reference
@pytest.mark.parametrize("kind", ["electric", "thermic", "hybrid"])
def test_status_matches_reference(kind: str) -> None:
    data = s.dump(status(kind))
    # The spec serves the legacy `energy` as a list (older clients read a
    # list); the reference types it as one Energy object.
    validate_schema("Status", data, exempt={"energy"})
    validate_response("GET", "/user/vehicles/{id}/status", 200, data, exempt={"energy"})
    for entry in data["energy"]:
        validate_schema("Energy", entry)


@needs_reference
def test_position_matches_reference() -> None:
    data = s.dump(position())
    validate_schema("Position", data)
    validate_response("GET", "/connectedcar/v4/user/vehicles/{id}/lastPosition", 200, data)


@needs_reference
def test_vehicle_user_and_vehicles_match_reference() -> None:
    validate_response("GET", "/user/vehicles/{id}", 200, s.dump(vehicle(extension=True)))
    validate_schema("Vehicle", s.dump(vehicle()))
    validate_response("GET", "/user", 200, s.dump(user()))
    data = s.dump(page(s.VehiclesPage, "/user/vehicles", [vehicle(), vehicle(extension=True)]))
    validate_response("GET", "/user/vehicles", 200, data)


@needs_reference
def test_alerts_match_reference() -> None:
    validate_response("GET", "/user/vehicles/{id}/alerts/{aid}", 200, s.dump(alert()))
    data = s.dump(page(s.AlertsPage, f"/user/vehicles/{VID}/alerts", [alert(), alert()]))
    validate_response("GET", "/user/vehicles/{id}/alerts", 200, data)
    validate_response("GET", "/user/vehicles/{id}/trips/{tid}/alerts", 200, data)


@needs_reference
def test_alarms_match_reference() -> None:
    validate_response("GET", "/user/vehicles/{id}/alarms/{aid}", 200, s.dump(alarm_details()))
    data = s.dump(page(s.AlarmsPage, f"/user/vehicles/{VID}/alarms", [alarm_details()]))
    validate_response("GET", "/user/vehicles/{id}/alarms", 200, data)


@needs_reference
def test_maintenance_matches_reference() -> None:
    validate_response("GET", "/user/vehicles/{id}/maintenance", 200, s.dump(maintenance()))


@needs_reference
def test_telemetry_matches_reference() -> None:
    validate_schema("Telemetry", s.dump(telemetry()))
    data = s.dump(page(s.TelemetriesPage, f"/user/vehicles/{VID}/telemetry", [telemetry()]))
    validate_response("GET", "/user/vehicles/{id}/telemetry", 200, data)


@needs_reference
def test_collisions_match_reference() -> None:
    validate_response("GET", "/user/vehicles/{id}/collisions/{cid}", 200, s.dump(collision()))
    data = s.dump(page(s.CollisionsPage, f"/user/vehicles/{VID}/collisions", [collision()]))
    validate_response("GET", "/user/vehicles/{id}/collisions", 200, data)
    validate_response("GET", "/user/vehicles/{id}/trips/{tid}/collisions", 200, data)


@needs_reference
def test_trips_match_reference() -> None:
    # Trip paths are `$ref`s to the reference's `x-fragment` path items.
    validate_response("GET", "/user/vehicles/{id}/trips/{tid}", 200, s.dump(trip(faults=True)))
    data = s.dump(page(s.TripsPage, f"/user/vehicles/{VID}/trips", [trip(), trip(faults=True)]))
    validate_response("GET", "/user/vehicles/{id}/trips", 200, data)
    points = [position(-45 + i, 2.35 - i / 100, 48.85 + i / 200) for i in range(5)]
    data = s.dump(page(s.WayPointsPage, f"/user/vehicles/{VID}/trips/tr1/wayPoints", points))
    validate_response("GET", "/user/vehicles/{id}/trips/{tid}/wayPoints", 200, data)


@needs_reference
@pytest.mark.parametrize("debug", ["callback.webhook.target", None])
def test_error_body_matches_reference(debug: str | None) -> None:
    data = s.dump(error_body(debug))
    validate_schema("xError", data)
    validate_response("GET", "/user/vehicles/{id}/status", 403, data)
    validate_response("POST", "/user/callbacks", 400, data)


@needs_reference
@pytest.mark.parametrize(
    ("cls", "op_path"),
    [
        (s.VehiclesPage, "/user/vehicles"),
        (s.AlertsPage, "/user/vehicles/{id}/alerts"),
        (s.AlarmsPage, "/user/vehicles/{id}/alarms"),
        (s.CollisionsPage, "/user/vehicles/{id}/collisions"),
        (s.TelemetriesPage, "/user/vehicles/{id}/telemetry"),
        (s.TripsPage, "/user/vehicles/{id}/trips"),
        (s.WayPointsPage, "/user/vehicles/{id}/trips/{tid}/wayPoints"),
    ],
)
def test_empty_collections_match_reference(cls: type[Any], op_path: str) -> None:
    data = s.dump(page(cls, op_path, []))
    assert data["total"] == 0 and data["totalPage"] == 1 and data["currentPage"] == 1
    assert data["_embedded"] == {cls.embedded_key: []}
    validate_response("GET", op_path, 200, data)


@needs_reference
def test_validator_reports_every_error_with_its_path() -> None:
    data = s.dump(status("electric"))
    data["lastPosition"]["properties"]["heading"] = 90.0
    data["energies"][0]["extension"]["electric"]["charging"]["chargingMode"] = False
    data["createdAt"] = "2026-01-01T07:00:03"
    with pytest.raises(AssertionError) as info:
        validate_schema("Status", data, exempt={"energy"})
    text = str(info.value)
    assert "$.lastPosition.properties.heading" in text
    assert "$.energies[0].extension.electric.charging.chargingMode" in text
    assert "$.createdAt" in text
    with pytest.raises(AssertionError, match=r"\$\.energy"):
        validate_schema("Status", s.dump(status("electric")))


# ---------------------------------------------------------------------------
# Wire rules (no reference needed)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALL_EXAMPLES))
def test_no_null_and_zoned_timestamps(name: str) -> None:
    model = ALL_EXAMPLES[name]()
    data = s.dump(model)
    assert json.loads(s.dump_json(model)) == data
    for path, value in walk(data):
        assert value is not None, f"{path} is null"
        if isinstance(value, str) and DATE_TIME.match(value):
            assert value.endswith("Z"), f"{path}: {value}"
            assert datetime.fromisoformat(value).tzinfo is not None


def test_none_members_are_omitted() -> None:
    data = s.dump(s.Status(links=s.StatusLinks(self_=s.Link(href="x")), createdAt=T0))
    assert data == {"_links": {"self": {"href": "x"}}, "createdAt": "2026-01-01T07:00:03Z"}
    assert "debug" not in s.dump(error_body(None))
    assert b"null" not in s.dump_json(error_body(None))


def test_integer_members_are_ints() -> None:
    data = s.dump(status("electric"))
    props = data["lastPosition"]["properties"]
    assert props["heading"] == 90 and type(props["heading"]) is int
    assert type(props["signalQuality"]) is int
    energy = data["energies"][0]
    assert energy["autonomy"] == 212 and type(energy["autonomy"]) is int
    charging = energy["extension"]["electric"]["charging"]
    assert charging["chargingRate"] == 32 and type(charging["chargingRate"]) is int
    load = energy["extension"]["electric"]["battery"]["load"]
    assert type(load["capacity"]) is int and type(load["residual"]) is int
    assert type(data["energy"][0]["autonomy"]) is int
    assert type(s.dump(maintenance())["daysBeforeMaintenance"]) is int
    assert s.dump(trip())["duration"] == 1500
    assert ":90.0" not in s.dump_json(status("electric")).decode()
    with pytest.raises(ValidationError):
        s.PositionPropertiesBase(heading=361)


def test_timestamps_are_utc_with_z() -> None:
    ts = datetime(2026, 1, 1, 8, 0, 3, tzinfo=PARIS)
    data = s.dump(s.Ignition(createdAt=ts, type="Start"))
    assert data["createdAt"] == "2026-01-01T07:00:03Z"
    assert s.format_utc(ts.replace(microsecond=250000)) == "2026-01-01T07:00:03.250Z"
    with pytest.raises(ValidationError):
        s.Ignition(createdAt=datetime(2026, 1, 1), type="Start")  # naive
    ign = s.Ignition.model_validate({"createdAt": "2026-01-01T08:00:03+01:00", "type": "Stop"})
    assert s.dump(ign)["createdAt"] == "2026-01-01T07:00:03Z"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(hours=1, minutes=30), "PT1H30M"),
        (timedelta(minutes=5), "PT5M"),
        (timedelta(seconds=45), "PT45S"),
        (timedelta(hours=26), "PT26H"),
        (timedelta(hours=2, seconds=1.5), "PT2H1.5S"),
    ],
)
def test_durations_are_iso8601(value: timedelta, text: str) -> None:
    assert s.format_duration(value) == text
    charging = s.EnergyCharging(remainingTime=value)
    assert s.dump(charging) == {"remainingTime": text}
    assert s.EnergyCharging.model_validate({"remainingTime": text}).remaining_time == value


def test_negative_duration_is_refused() -> None:
    with pytest.raises(ValidationError):
        s.EnergyCharging(remainingTime=timedelta(minutes=-1))


def test_enum_words_stay_strings() -> None:
    data = s.dump(status("electric"))
    assert data["energies"][0]["extension"]["electric"]["charging"]["chargingMode"] == "Slow"
    assert s.dump(s.EnergyCharging(chargingMode="No")) == {"chargingMode": "No"}
    assert [light["status"] for light in data["lightingSystem"]["turn"]] == ["Off", "On"]
    assert s.dump(s.Adas(aebs="off", accr="Off", rgi="None")) == {
        "aebs": "off",
        "accr": "Off",
        "rgi": "None",
    }
    assert s.dump(s.PrivacyBase(state="None")) == {"state": "None"}
    with pytest.raises(ValidationError):
        s.EnergyCharging(chargingMode=False)


@pytest.mark.parametrize("kind", ["electric", "thermic", "hybrid"])
def test_legacy_members_follow_their_source(kind: str) -> None:
    model = status(kind)
    data = s.dump(model)
    assert data["preconditionning"] == data["preconditioning"]
    assert model.preconditionning is model.preconditioning
    assert len(data["energy"]) == len(data["energies"])
    for legacy, modern in zip(data["energy"], data["energies"], strict=True):
        for key in ("type", "level", "autonomy", "createdAt"):
            assert legacy[key] == modern[key]
        assert legacy["updatedAt"] == modern.get("updatedAt", modern["createdAt"])
        ext = modern.get("extension", {})
        if "electric" in ext:
            electric = ext["electric"]
            for key, value in legacy["charging"].items():
                assert electric["charging"][key] == value
            assert set(legacy["charging"]) == {
                "plugged",
                "status",
                "remainingTime",
                "chargingRate",
                "chargingMode",
                "nextDelayedTime",
            }
            assert legacy["consumption"] == electric["consumption"]["consumption"]
            assert legacy["residual"] == electric["residual"]["consumption"]
            assert legacy["battery"]["health"] == {"capacity": 97, "resistance": 99}
            assert legacy["battery"]["capacity"] == 46000
        else:
            assert legacy["consumption"] == ext["fuel"]["consumption"]["consumption"]
            assert "charging" not in legacy
    doors_data = data["doorsState"]
    assert doors_data["lockedStates"] == ["Locked", "TrunkLocked"]
    assert doors_data["lockedState"] == ["Locked"]
    # derived members are not stored: changing the source changes them
    assert model.doors_state is not None
    model.doors_state.locked_states = [LockedState.SUPER_LOCKED, LockedState.TRUNK_UNLOCKED]
    assert s.dump(model)["doorsState"]["lockedState"] == ["SuperLocked"]
    every = s.DoorsStateBase.model_validate({"lockedStates": list(LockedState)})
    assert set(every.locked_state or []) == s.LEGACY_LOCKED_STATES


def test_output_reads_back() -> None:
    for factory in ALL_EXAMPLES.values():
        model = factory()
        again = type(model).model_validate(s.dump(model))
        assert s.dump(again) == s.dump(model)
    with pytest.raises(ValidationError):
        s.Status.model_validate({**s.dump(status("thermic")), "unknown": 1})


def test_vehicle_never_has_engine() -> None:
    assert "engine" not in s.Vehicle.model_fields
    assert "engine" not in s.dump(vehicle(extension=True))
    with pytest.raises(ValidationError):
        s.Vehicle.model_validate({**s.dump(vehicle()), "engine": "Thermic"})


def test_trip_faults_default_to_empty_list() -> None:
    assert s.dump(trip())["faults"] == []


def test_collection_pages() -> None:
    data = s.dump(page(s.CollisionsPage, "/c", []))
    assert data["_embedded"] == {"Collisions": []}
    keys = {
        cls.embedded_key
        for cls in (
            s.VehiclesPage,
            s.AlertsPage,
            s.CollisionsPage,
            s.TelemetriesPage,
            s.TripsPage,
            s.AlarmsPage,
            s.WayPointsPage,
        )
    }
    assert keys == {
        "vehicles",
        "alerts",
        "Collisions",
        "telemetries",
        "trips",
        "alarms",
        "positions",
    }
    links = s.dump(tab_links("/p"))
    assert set(links) == {"self", "first"}


def _models() -> list[type[BaseModel]]:
    found = []
    for name in s.__all__:
        obj = getattr(s, name)
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not s.CollectionResult:
            found.append(obj)
    return found


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_json_schema_builds(model: type[BaseModel]) -> None:
    for mode in ("serialization", "validation"):
        schema = TypeAdapter(model).json_schema(mode=mode)
        assert schema["type"] == "object" or "$ref" in schema


def test_status_json_schema_lists_legacy_members() -> None:
    schema = TypeAdapter(s.Status).json_schema(mode="serialization")
    props = schema["properties"]
    assert props["energy"]["readOnly"] is True and props["energy"]["type"] == "array"
    assert "preconditionning" in props
    assert "energy" not in schema["required"]
    doors_schema = schema["$defs"]["DoorsState"]["properties"]["lockedState"]
    assert set(doors_schema["items"]["enum"]) == s.LEGACY_LOCKED_STATES
    charging = schema["$defs"]["EnergyCharging"]["properties"]
    assert charging["chargingRate"]["type"] == "integer"
    assert charging["remainingTime"] == {"type": "string", "format": "duration"}
    assert schema["properties"]["createdAt"] == {"type": "string", "format": "date-time"}


def test_durations_in_output_are_iso8601() -> None:
    for name, factory in ALL_EXAMPLES.items():
        for path, value in walk(s.dump(factory())):
            if "onboardCapabilities" in path:  # booleans named like the durations
                continue
            if path.endswith(("remainingTime", "nextDelayedTime")) or (
                "programs[" in path and path.endswith((".start", ".end"))
            ):
                assert isinstance(value, str) and DURATION.match(value), f"{name} {path}: {value}"
