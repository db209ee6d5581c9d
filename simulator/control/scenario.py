"""``/simulator/v1/scenario`` and ``/simulator/v1/vehicles/{id}/drive``: the scenario being
played (its progress and each expectation's state), loading and restarting one, and the
drive a timeline step makes (a real trip, also useful on its own)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from pydantic import Field

from simulator.api.http import model_response, read_model, sim_of
from simulator.api.operations import Operation, control_errors, control_operation
from simulator.control import examples as ex
from simulator.control.base import ControlModel
from simulator.errors import ApiError, Conflict, ErrorCode, InvalidField, NotFound
from simulator.fleet.state_body import PointIn
from simulator.scenario import ScenarioError, parse_scenario
from simulator.scenario.live import play_live

_J = "application/json"
TAGS = ("Scenario",)


class DriveIn(ControlModel):
    """Drive now to ``to`` (a real trip: samples on the way, energy, odometer, a trip)."""

    to: PointIn
    speedKmh: float | None = Field(
        default=None, gt=0, le=250, description="average speed, km/h; default: the road's"
    )


class DriveOut(ControlModel):
    vehicleId: str
    driving: bool
    to: PointIn


class ExpectationState(ControlModel):
    index: int
    name: str
    kind: str
    state: str = Field(description="open, held or failed")
    decidedAt: str | None = None
    reason: str


class ScenarioState(ControlModel):
    file: str
    start: datetime
    end: datetime
    now: datetime
    stepsDone: int = Field(description="steps played (a refused one too: see error)")
    steps: int
    finished: bool
    error: str | None = Field(default=None, description="the last step the simulator refused")
    receivers: dict[str, str] = Field(description="each receiver's URL")
    expectations: list[ExpectationState]


class ScenarioLoad(ControlModel):
    """A scenario file's text (YAML 1.2): it replaces the one being played."""

    yaml: str = Field(min_length=1, max_length=1024 * 1024)


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _no_scenario() -> ApiError:
    return ApiError(ErrorCode.CONFLICT, "no scenario is being played", debug="scenario")


def _state(request: web.Request) -> web.Response:
    player = sim_of(request).player
    if player is None:
        raise _no_scenario()
    progress = player.progress()
    state = ScenarioState(
        file=str(player.path),
        start=_at(progress.start),
        end=_at(progress.end),
        now=_at(progress.now),
        stepsDone=progress.steps_done,
        steps=progress.steps,
        finished=player.finished,
        error=player.error,
        receivers={name: r.url for name, r in player.receivers.items()},
        expectations=[ExpectationState(**r.to_json()) for r in player.judge.results],
    )
    return model_response(state, content_type=_J)


async def get_scenario(request: web.Request) -> web.Response:
    sim = sim_of(request)
    if sim.player is None:
        raise _no_scenario()
    # on a manual clock the steps due and the sends in flight finish first: the answer
    # is the same however soon after moving the clock it is asked
    await sim.player.look(settle=sim.settings.manual_clock)
    return _state(request)


def _base_url(request: web.Request) -> str:
    return f"https://{request.host}"


async def _replay(request: web.Request, path: Path, text: str, *, load: bool) -> web.Response:
    """Play ``text`` from now; when it is a newly loaded file its ``life`` applies too."""
    sim = sim_of(request)
    try:
        scenario = parse_scenario(text, path)
    except ScenarioError as exc:
        raise InvalidField("yaml", f"yaml: {exc}") from None
    if load and scenario.life is not None:
        sim.life.enabled = scenario.life
    try:
        # the player's control calls carry its own token (scenario.live), not the caller's
        await play_live(sim, _base_url(request), path, text, scenario)
    except ScenarioError as exc:
        raise InvalidField("yaml", f"yaml: {exc}") from None
    return _state(request)


async def load_scenario(request: web.Request) -> web.Response:
    body = await read_model(request, ScenarioLoad)
    return await _replay(request, Path("<posted>"), body.yaml, load=True)


async def restart_scenario(request: web.Request) -> web.Response:
    player = sim_of(request).player
    if player is None:
        raise _no_scenario()
    return await _replay(request, player.path, player.text, load=False)


async def drive(request: web.Request) -> web.Response:
    sim = sim_of(request)
    vehicle = sim.fleet.get(request.match_info["id"])
    if vehicle is None:
        raise NotFound("vehicle")
    body = await read_model(request, DriveIn)
    to = (body.to.longitude, body.to.latitude)
    try:
        sim.operations.drive(vehicle, to, speed_kmh=body.speedKmh)
    except InvalidField as exc:  # driving, immobilized or offline: a clash with its state
        raise Conflict(exc.debug or "vehicle", exc.message) from None
    return model_response(
        DriveOut(vehicleId=vehicle.id, driving=sim.operations.driving(vehicle), to=body.to),
        content_type=_J,
    )


SCENARIO_OPERATIONS: tuple[Operation, ...] = (
    control_operation(
        "GET",
        "/scenario",
        get_scenario,
        "simGetScenario",
        "The scenario being played: progress and each expectation's state",
        {200: ScenarioState},
        tags=TAGS,
        errors=control_errors("/scenario", conflict=True),
    ),
    control_operation(
        "POST",
        "/scenario",
        load_scenario,
        "simLoadScenario",
        "Load a scenario file (YAML text) and play it from now: the simulator is reset first",
        {200: ScenarioState},
        tags=TAGS,
        body=ScenarioLoad,
        examples=ex.SCENARIO,
    ),
    control_operation(
        "POST",
        "/scenario/restart",
        restart_scenario,
        "simRestartScenario",
        "Reset the simulator and play the scenario again from now",
        {200: ScenarioState},
        tags=TAGS,
        errors=control_errors("/scenario/restart", conflict=True),
    ),
    control_operation(
        "POST",
        "/vehicles/{id}/drive",
        drive,
        "simDriveVehicle",
        "Drive now to a point: samples on the way, energy used, odometer, a trip record",
        {200: DriveOut},
        tags=TAGS,
        body=DriveIn,
        examples=ex.DRIVE,
        errors=control_errors("/vehicles/{id}/drive", body=True, conflict=True),
    ),
)
