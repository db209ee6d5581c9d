// The live view: wires the fleet map, the vehicle panel, the timeline, the clock and the
// scenario progress to the control API and its event stream (/simulator/v1/events).

import { ApiError, EventStream, call, durationSeconds, get, post, put, setToken, token } from "./api.js";
import { FleetMap, STATES, zonesOf } from "./map.js";
import { VehiclePanel } from "./panel.js";
import { Timeline, remoteStep, shortTime } from "./timeline.js";

const TRACK_POINTS = 300;
const SAMPLES = 400;
const $ = (sel) => document.querySelector(sel);

const vehicles = new Map(); // id -> record
const byVin = new Map(); // vin -> id
let selected = null;
let clock = null; // {now, speed, paused, mode, wall}
let fitted = false;
const timers = {};

function later(name, fn, ms = 200) {
  clearTimeout(timers[name]);
  timers[name] = setTimeout(fn, ms);
}

function announce(message) {
  const region = $("#announce");
  region.textContent = "";
  requestAnimationFrame(() => (region.textContent = message));
}

function showError(error) {
  const box = $("#error");
  if (!error) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  const needsToken = error instanceof ApiError && error.status === 401;
  box.textContent = needsToken
    ? "The control API needs the control token: give it with “Control token…”."
    : `Failed: ${error.message}`;
  box.hidden = false;
  if (needsToken) $("#token-form").hidden = false;
}

// Runs one control call; a failure shows in the alert region, success is announced.
async function act(label, fn) {
  try {
    const result = await fn();
    showError(null);
    announce(label);
    return result;
  } catch (error) {
    showError(error);
    return null;
  }
}

const namesByVin = (vin) => {
  const v = vehicles.get(byVin.get(vin));
  return v ? v.label : null;
};

const map = new FleetMap($("#map"), {
  onSelect: (id) => select(id),
  onPlace: (lon, lat) => place(lon, lat),
});
map.vehicles = vehicles;

const panel = new VehiclePanel($("#vehicle-panel"), { act, announce });
const timeline = new Timeline($("#timeline"), {
  names: namesByVin,
  onReplay: (eventId, button) => replay(eventId, button),
});

// ------------------------------------------------------------------ fleet
async function loadFleet() {
  const fleet = await get("/fleet");
  const seen = new Set();
  for (const v of fleet.vehicles) {
    seen.add(v.id);
    const known = vehicles.get(v.id);
    const record = known ? Object.assign(known, v) : { ...v, track: [], samples: [] };
    record.short = v.label;
    if (!record.track.length) record.track.push([v.longitude, v.latitude]);
    vehicles.set(v.id, record);
    byVin.set(v.vin, v.id);
  }
  for (const id of [...vehicles.keys()]) if (!seen.has(id)) vehicles.delete(id);
  map.setCities(fleet.cities || []);
  if (!fitted) {
    map.fit();
    fitted = true;
  } else {
    map.render();
  }
  renderList();
  timeline.setVehicles([...vehicles.values()]);
  renderLegend();
  if (selected && vehicles.has(selected)) panel.show(vehicles.get(selected));
  else if (selected) {
    selected = null;
    $("#vehicle-body").hidden = true;
    $("#vehicle-empty").hidden = false;
  }
}

function renderLegend() {
  const counts = Object.fromEntries(STATES.map((s) => [s, 0]));
  for (const v of vehicles.values()) counts[v.state] = (counts[v.state] || 0) + 1;
  $("#legend").replaceChildren(
    ...STATES.map((s) => {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = `swatch state-${s}`;
      swatch.setAttribute("aria-hidden", "true");
      item.append(swatch, `${s} (${counts[s]})`);
      return item;
    }),
  );
}

function renderList() {
  const list = $("#vehicle-list");
  const items = [...vehicles.values()].map((v) => {
    let item = list.querySelector(`li[data-id="${v.id}"]`);
    if (!item) {
      item = document.createElement("li");
      item.dataset.id = v.id;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "vehicle-button";
      button.addEventListener("click", () => select(v.id));
      item.append(button);
    }
    updateListItem(item, v);
    return item;
  });
  list.replaceChildren(...items);
}

function updateListItem(item, v) {
  const button = item.firstElementChild;
  button.setAttribute("aria-pressed", v.id === selected ? "true" : "false");
  button.replaceChildren();
  const swatch = document.createElement("span");
  swatch.className = `swatch state-${v.state}`;
  swatch.setAttribute("aria-hidden", "true");
  button.append(swatch, `${v.label} · ${v.vin} · ${v.state}`);
}

function refreshVehicle(v) {
  const grew = (!map.zoomed || map.zoomed === v.id) && map.include(v.longitude, v.latitude);
  if (grew) map.render();
  else map.renderVehicle(v);
  const item = $(`#vehicle-list li[data-id="${v.id}"]`);
  if (item) updateListItem(item, v);
  panel.update(v);
  later("legend", renderLegend, 300);
}

function select(id) {
  const v = vehicles.get(id);
  if (!v) return;
  selected = id;
  map.select(id);
  for (const item of $("#vehicle-list").children) updateListItem(item, vehicles.get(item.dataset.id));
  panel.show(v);
  announce(`${v.label} selected`);
}

async function place(lon, lat) {
  if (!selected) {
    showError(new Error("select a vehicle first, then click where it should be"));
    return;
  }
  const v = vehicles.get(selected);
  await act(`${v.label} placed at ${lat.toFixed(5)}, ${lon.toFixed(5)}`, async () => {
    await call("PATCH", `/vehicles/${v.id}/state`, { position: { longitude: lon, latitude: lat } });
    later("fleet", () => loadFleet().catch(showError), 300);
  });
}

// ------------------------------------------------------------------ monitors, dead letters, scenario
async function loadZones() {
  try {
    const answer = await get("/monitors");
    map.setZones((answer.monitors || []).flatMap(zonesOf));
  } catch {
    /* shown by the next failing control call */
  }
}

async function loadDeadLetters() {
  try {
    const answer = await get("/deliveries/dead-letters");
    timeline.setDeadLetters(answer.deadLetters || []);
  } catch {
    /* idem */
  }
}

async function replay(eventId, button) {
  button.disabled = true;
  const done = await act(`Dead letter ${eventId.slice(0, 8)} queued again`, () =>
    post(`/deliveries/dead-letters/${encodeURIComponent(eventId)}/replay`),
  );
  if (done) button.textContent = "Replayed";
  else button.disabled = false;
  later("dead", loadDeadLetters, 300);
}

async function loadScenario() {
  const section = $("#scenario");
  let s;
  try {
    s = await get("/scenario");
  } catch {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const held = s.expectations.filter((e) => e.state === "held").length;
  const failed = s.expectations.filter((e) => e.state === "failed").length;
  $("#scenario-summary").textContent =
    `${s.file}: ${s.stepsDone}/${s.steps} steps${s.finished ? ", finished" : ""} · expectations: ${held} held, ${failed} failed, ${s.expectations.length - held - failed} open` +
    (s.error ? ` · error: ${s.error}` : "");
  const progress = $("#scenario-progress");
  progress.max = Math.max(s.steps, 1);
  progress.value = s.stepsDone;
  $("#scenario-expectations").replaceChildren(
    ...s.expectations.map((e) => {
      const item = document.createElement("li");
      item.className = `expectation expectation-${e.state}`;
      item.textContent = `${e.name} (${e.kind}): ${e.state}${e.reason ? ` — ${e.reason}` : ""}`;
      return item;
    }),
  );
}

// ------------------------------------------------------------------ clock
function showClock(c) {
  clock = { ...c, wall: performance.now() };
  $("#clock-mode").textContent = `${c.mode}${c.paused ? ", paused" : ""} · ×${c.speed}`;
  $("#clock-toggle").textContent = c.paused ? "Resume" : "Pause";
  $("#clock-toggle").setAttribute("aria-label", c.paused ? "Resume the clock" : "Pause the clock");
  const speed = $("#speed-input");
  if (document.activeElement !== speed) speed.value = String(c.speed);
  tick();
}

function tick() {
  if (!clock) return;
  let now = new Date(clock.now).getTime();
  if (!clock.paused && clock.mode !== "manual") now += (performance.now() - clock.wall) * clock.speed;
  const out = $("#clock-now");
  out.textContent = shortTime(new Date(now).toISOString());
  out.dataset.now = clock.now;
}

setInterval(tick, 1000);

async function loadClock() {
  showClock(await get("/clock"));
}

$("#clock-toggle").addEventListener("click", () =>
  act(clock && clock.paused ? "Clock resumed" : "Clock paused", async () => {
    await post(clock && clock.paused ? "/clock/resume" : "/clock/pause");
    await loadClock();
  }),
);

$("#advance-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("#advance-by").value;
  const seconds = durationSeconds(text);
  if (seconds === null) {
    showError(new Error(`“${text}” is no duration: write PT10M, PT1H30M, P1D or seconds`));
    return;
  }
  const button = $("#advance-button");
  button.disabled = true;
  act(`Clock advanced by ${text}`, async () => {
    try {
      showClock(await post("/clock/advance", { seconds }));
    } finally {
      button.disabled = false;
    }
    await loadClock();
    await loadFleet();
  });
});

$("#speed-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const speed = Number($("#speed-input").value);
  act(`Clock speed ×${speed}`, async () => {
    await put("/clock/speed", { speed });
    await loadClock();
  });
});

// ------------------------------------------------------------------ map toolbar, token
$("#place-mode").addEventListener("click", () => {
  const on = $("#place-mode").getAttribute("aria-pressed") !== "true";
  $("#place-mode").setAttribute("aria-pressed", on ? "true" : "false");
  map.setPlacing(on);
  announce(on ? "Place mode on: click the map to move the selected vehicle" : "Place mode off");
});
$("#fit-map").addEventListener("click", () => map.fit());
$("#zoom-map").addEventListener("click", () => {
  if (selected) map.zoomTo(selected);
  else showError(new Error("select a vehicle first"));
});

$("#token-button").addEventListener("click", () => {
  const form = $("#token-form");
  form.hidden = !form.hidden;
  if (!form.hidden) $("#token-input").focus();
});
$("#token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  setToken($("#token-input").value.trim());
  $("#token-input").value = "";
  $("#token-form").hidden = true;
  announce("Control token kept for this tab");
  boot();
});
$("#token-forget").addEventListener("click", () => {
  setToken("");
  announce("Control token forgotten");
});

// ------------------------------------------------------------------ stream
function onSample(e) {
  const v = vehicles.get(e.vehicleId || byVin.get(e.vin));
  if (!v) {
    later("fleet", () => loadFleet().catch(showError));
    return;
  }
  for (const key of ["latitude", "longitude", "heading", "speedKmh", "state", "energyLevel", "odometerKm"]) {
    if (e[key] !== undefined && e[key] !== null) v[key] = e[key];
  }
  const last = v.track[v.track.length - 1];
  if (Number.isFinite(v.longitude) && (!last || last[0] !== v.longitude || last[1] !== v.latitude)) {
    v.track.push([v.longitude, v.latitude]);
    if (v.track.length > TRACK_POINTS) v.track.shift();
  }
  v.samples.push({ t: new Date(e.at).getTime(), energy: e.energyLevel, speed: e.speedKmh || 0 });
  if (v.samples.length > SAMPLES) v.samples.shift();
  refreshVehicle(v);
}

function onEvent(kind, e) {
  if (kind !== "sample" && kind !== "gap") timeline.add(e);
  switch (kind) {
    case "sample":
      onSample(e);
      timeline.add(e);
      break;
    case "remote":
      if (selected && (e.vehicleId === selected || byVin.get(e.vin) === selected)) {
        panel.scheduleRemotes();
        announce(`Remote ${e.type || ""}: ${remoteStep(e)}`);
      }
      break;
    case "monitor":
      later("zones", loadZones);
      if (selected) later("panel-monitors", () => panel.loadMonitors());
      break;
    case "delivery":
      if (e.outcome === "deadLettered" || e.outcome === "replayed") later("dead", loadDeadLetters);
      break;
    case "clock":
      showClock(e);
      if (e.change === "reset" || e.change === "set") later("all", reloadAll);
      break;
    case "scenario":
      later("scenario", loadScenario);
      break;
    case "callback":
      later("zones", loadZones);
      break;
    case "gap":
      timeline.add(e);
      later("all", reloadAll);
      break;
    default:
      break;
  }
}

function onStreamState(message, ok, error) {
  const line = $("#connection");
  line.textContent = message;
  line.classList.toggle("ok", ok);
  if (error instanceof ApiError && error.status === 401) showError(error);
}

async function reloadAll() {
  try {
    await Promise.all([loadFleet(), loadClock()]);
    await Promise.all([loadZones(), loadDeadLetters(), loadScenario()]);
    showError(null);
  } catch (error) {
    showError(error);
  }
}

let stream = null;

async function boot() {
  if (stream) stream.stop();
  await reloadAll();
  stream = new EventStream(onEvent, onStreamState);
  stream.start();
  document.body.dataset.ready = "true";
}

$("#token-button").textContent = token() ? "Control token (given)…" : "Control token…";
boot();
