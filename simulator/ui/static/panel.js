// The vehicle panel: summary, controls (through the control API), energy and speed charts
// from the samples seen, remotes with their notification sequences, monitors and which
// of their triggers hold now, and the status document.

import { get, patch } from "./api.js";
import { shortId, shortTime } from "./timeline.js";

const SVG = "http://www.w3.org/2000/svg";

function svgEl(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  parent.appendChild(node);
  return node;
}

function text(tag, content, cls) {
  const node = document.createElement(tag);
  node.textContent = content;
  if (cls) node.className = cls;
  return node;
}

// A small line chart: points [{t: ms, v: number}] within [0, top].
export function drawChart(svg, points, top, unit) {
  svg.replaceChildren();
  const [w, h, left, bottom] = [300, 110, 34, 18];
  svgEl("rect", { x: left, y: 4, width: w - left - 4, height: h - bottom - 4, class: "chart-bg" }, svg);
  const usable = points.filter((p) => Number.isFinite(p.v));
  const max = Math.max(top, ...usable.map((p) => p.v));
  svgEl("text", { x: left - 4, y: 12, class: "axis", "text-anchor": "end" }, svg).textContent = `${Math.round(max)}`;
  svgEl("text", { x: left - 4, y: h - bottom, class: "axis", "text-anchor": "end" }, svg).textContent = "0";
  if (!usable.length) {
    svgEl("text", { x: w / 2, y: h / 2, class: "axis", "text-anchor": "middle" }, svg).textContent = "no samples yet";
    svg.setAttribute("data-points", "0");
    return;
  }
  const t0 = usable[0].t;
  const t1 = usable[usable.length - 1].t;
  const span = Math.max(t1 - t0, 1);
  const x = (t) => left + ((t - t0) / span) * (w - left - 8);
  const y = (v) => h - bottom - (v / max) * (h - bottom - 8);
  const coords = usable.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
  if (usable.length === 1) coords.push(`${(w - 8).toFixed(1)},${y(usable[0].v).toFixed(1)}`);
  svgEl("polyline", { points: coords.join(" "), class: "chart-line" }, svg);
  svgEl("text", { x: left, y: h - 4, class: "axis" }, svg).textContent = shortTime(new Date(t0).toISOString()).slice(11, 16);
  svgEl("text", { x: w - 8, y: h - 4, class: "axis", "text-anchor": "end" }, svg).textContent = shortTime(new Date(t1).toISOString()).slice(11, 16);
  const last = usable[usable.length - 1].v;
  svg.setAttribute("data-points", String(usable.length));
  svg.setAttribute("aria-label", `${usable.length} samples, latest ${Math.round(last)} ${unit}`);
}

export class VehiclePanel {
  constructor(root, { act, announce }) {
    this.root = root;
    this.act = act; // act(label, async fn): runs a control call, reports failures
    this.announce = announce;
    this.vehicle = null;
    this.remotes = [];
    this.refreshTimer = null;
    this.$ = (sel) => root.querySelector(sel);
    this.bindControls();
  }

  bindControls() {
    const id = () => this.vehicle && this.vehicle.id;
    const state = (label, body) => this.act(label, () => patch(`/vehicles/${id()}/state`, body));
    this.$("#ctl-lock").addEventListener("click", () => state("Doors locked", { lockedStates: ["Locked"] }));
    this.$("#ctl-unlock").addEventListener("click", () => state("Doors unlocked", { lockedStates: ["Unlocked"] }));
    this.$("#ctl-plug").addEventListener("click", () => state("Plugged in", { plugged: true }));
    this.$("#ctl-unplug").addEventListener("click", () => state("Unplugged", { plugged: false }));
    this.$("#energy-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const level = Number(this.$("#ctl-energy").value);
      // the main energy, as /fleet's energyLevel reads it: the battery of an electric car, else the fuel
      const field = this.vehicle.motorization === "Electric" ? "electricLevel" : "fuelLevel";
      state(`Energy set to ${level} %`, { [field]: level });
    });
    for (const name of ["online", "asleep"]) {
      const box = this.$(`#ctl-${name}`);
      box.addEventListener("change", () =>
        this.act(`${name} ${box.checked ? "on" : "off"}`, async () => {
          const answer = await patch(`/vehicles/${id()}/remote-behaviour`, { [name]: box.checked });
          this.showBehaviour(answer);
        }),
      );
    }
    this.$("#status-refresh").addEventListener("click", () => this.loadStatus());
    this.$("#status-details").addEventListener("toggle", () => {
      if (this.$("#status-details").open) this.loadStatus();
    });
  }

  show(vehicle) {
    const changed = !this.vehicle || this.vehicle.id !== vehicle.id;
    this.vehicle = vehicle;
    this.$("#vehicle-empty").hidden = true;
    this.$("#vehicle-body").hidden = false;
    this.$("#vehicle-title").textContent = `Vehicle: ${vehicle.label}`;
    this.update(vehicle);
    if (changed) {
      if (vehicle.energyLevel != null) this.$("#ctl-energy").value = String(Math.round(vehicle.energyLevel));
      const pluggable = vehicle.motorization === "Electric" || vehicle.motorization === "Hybrid"; // Hybrid: plug-in
      this.$("#ctl-plug").disabled = !pluggable;
      this.$("#ctl-unplug").disabled = !pluggable;
      this.$("#remotes").replaceChildren();
      this.$("#monitors").replaceChildren();
      this.reload();
    }
  }

  update(v) {
    if (!this.vehicle || v.id !== this.vehicle.id) return;
    const energy = v.energyLevel == null ? "energy unknown" : `energy ${Math.round(v.energyLevel)} %`;
    const summary = this.$("#vehicle-summary");
    summary.replaceChildren(
      text("strong", `${v.brand || ""} ${v.label}`.trim()),
      text("span", ` · VIN ${v.vin} · ${v.owner || ""} · home ${v.city || "–"}`),
      document.createElement("br"),
      text("span", v.state, `badge state-badge state-${v.state}`),
      text("span", ` ${Math.round(v.speedKmh || 0)} km/h · ${energy} · ${Math.round(v.odometerKm || 0)} km · `),
      text("span", `${Number(v.latitude).toFixed(5)}, ${Number(v.longitude).toFixed(5)}`, "position"),
    );
    this.drawCharts(v);
    if (this.$("#status-details").open) this.scheduleStatus();
  }

  drawCharts(v) {
    const samples = v.samples || [];
    drawChart(this.$("#chart-energy"), samples.map((s) => ({ t: s.t, v: s.energy })), 100, "%");
    drawChart(this.$("#chart-speed"), samples.map((s) => ({ t: s.t, v: s.speed })), 50, "km/h");
  }

  reload() {
    this.loadRemotes();
    this.loadMonitors();
    this.loadBehaviour();
    if (this.$("#status-details").open) this.loadStatus();
  }

  async loadBehaviour() {
    const v = this.vehicle;
    try {
      this.showBehaviour(await get(`/vehicles/${v.id}/remote-behaviour`));
    } catch {
      /* a vehicle removed by a reset: the next fleet load settles it */
    }
  }

  showBehaviour(b) {
    if (!this.vehicle || b.vehicleId !== this.vehicle.id) return;
    this.$("#ctl-online").checked = !!b.online;
    this.$("#ctl-asleep").checked = !!b.asleep;
  }

  async loadStatus() {
    const v = this.vehicle;
    const pre = this.$("#status-json");
    try {
      const doc = await get(`/vehicles/${v.id}/status`);
      if (this.vehicle === v) pre.textContent = JSON.stringify(doc, null, 2);
    } catch (error) {
      pre.textContent = `Status unavailable: ${error.message}`;
    }
  }

  scheduleStatus() {
    clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => this.loadStatus(), 400);
  }

  scheduleRemotes() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.loadRemotes(), 150);
  }

  async loadRemotes() {
    const v = this.vehicle;
    if (!v) return;
    try {
      const answer = await get(`/vehicles/${v.id}/remotes`);
      if (this.vehicle === v) this.renderRemotes(answer.remotes || []);
    } catch {
      /* the fleet reload tells */
    }
  }

  renderRemotes(remotes) {
    const list = this.$("#remotes");
    if (!remotes.length) {
      list.replaceChildren(text("li", "No remote sent to this vehicle yet.", "hint"));
      return;
    }
    const sorted = [...remotes].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
    list.replaceChildren(
      ...sorted.map((r) => {
        const item = text("li", "", "remote");
        item.dataset.remote = r.remoteActionId;
        const title = `${r.type} ${r.action}${r.label ? ` “${r.label}”` : ""}`;
        item.append(text("strong", title), text("span", ` · ${shortId(r.remoteActionId)} · sent ${shortTime(r.createdAt)} · callback ${shortId(r.callbackId)}`, "hint"));
        const steps = text("ol", "", "steps");
        steps.setAttribute("aria-label", `Notification sequence of ${title}`);
        for (const step of r.history || []) {
          const cause = step.failureCause ? ` (${step.failureCause})` : step.feedbackDetail ? ` (${step.feedbackDetail})` : "";
          const li = text("li", "", `step step-${String(step.type).toLowerCase()}`);
          li.dataset.status = step.status;
          li.append(text("span", shortTime(step.at).slice(11), "event-time"), text("span", `${step.type}: ${step.status}${cause}`));
          steps.append(li);
        }
        item.append(steps);
        return item;
      }),
    );
  }

  async loadMonitors() {
    const v = this.vehicle;
    if (!v) return;
    try {
      const answer = await get(`/vehicles/${v.id}/monitors`);
      if (this.vehicle === v) this.renderMonitors(answer.monitors || []);
    } catch {
      /* idem */
    }
  }

  renderMonitors(monitors) {
    const list = this.$("#monitors");
    if (!monitors.length) {
      list.replaceChildren(text("li", "No monitor on this vehicle.", "hint"));
      return;
    }
    list.replaceChildren(
      ...monitors.map((m) => {
        const item = text("li", "", `monitor ${m.active ? "active" : ""}`);
        item.dataset.monitor = m.monitorId;
        item.append(
          text("strong", m.label || shortId(m.monitorId)),
          text("span", ` · ${m.status} · ${m.boolExp} · ${m.active ? "holds now" : "does not hold"} · ${m.events} events${m.lastEventAt ? `, last ${shortTime(m.lastEventAt)}` : ""}`, "hint"),
        );
        const triggers = text("ul", "", "triggers");
        for (const t of m.triggers || []) {
          const li = text("li", `${t.name} (${t.kind}): ${t.holds ? "holds" : "does not hold"}`, t.holds ? "holds" : "");
          triggers.append(li);
        }
        item.append(triggers);
        return item;
      }),
    );
  }
}
