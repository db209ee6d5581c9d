// The fleet map: an SVG with an equirectangular projection fitted to the fleet and its
// home cities (no tiles, no network). Vehicles are focusable buttons (Enter or Space
// selects); their recent tracks, their monitors' zones and the cities are drawn under them.

const SVG = "http://www.w3.org/2000/svg";
const W = 1000;
const H = 640;
const PAD = 48;
const KM_PER_DEGREE = 111.32;

export const STATES = ["driving", "parked", "charging", "offline", "asleep", "stolen"];

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (parent) parent.appendChild(node);
  return node;
}

function usable(lon, lat) {
  return Number.isFinite(lon) && Number.isFinite(lat);
}

export class FleetMap {
  constructor(svg, { onSelect, onPlace }) {
    this.svg = svg;
    this.onSelect = onSelect;
    this.onPlace = onPlace;
    this.layers = {
      grid: svg.querySelector("#map-grid"),
      zones: svg.querySelector("#map-zones"),
      cities: svg.querySelector("#map-cities"),
      tracks: svg.querySelector("#map-tracks"),
      vehicles: svg.querySelector("#map-vehicles"),
    };
    this.cities = [];
    this.vehicles = new Map(); // id -> vehicle record (shared with the app)
    this.zones = [];
    this.nodes = new Map(); // id -> {group, dot, arrow, label, track}
    this.selected = null;
    this.placing = false;
    this.bounds = null;
    svg.addEventListener("click", (event) => this.clicked(event));
  }

  // ------------------------------------------------------------ projection
  fit() {
    this.zoomed = null;
    const points = [];
    for (const c of this.cities) points.push([c.longitude, c.latitude]);
    for (const v of this.vehicles.values()) points.push([v.longitude, v.latitude]);
    for (const z of this.zones) {
      if (z.kind === "circle") points.push([z.lon, z.lat]);
      else points.push(...z.points);
    }
    this.bounds = null;
    for (const [lon, lat] of points) this.include(lon, lat);
    this.render();
  }

  // Fit to the selected vehicle: its track, its position and its monitors' zones.
  zoomTo(id) {
    const v = this.vehicles.get(id);
    if (!v) return;
    this.bounds = null;
    for (const [lon, lat] of v.track || []) this.include(lon, lat);
    this.include(v.longitude, v.latitude);
    for (const z of this.zones.filter((zone) => zone.vehicleId === id)) {
      if (z.kind === "circle") {
        const dLat = z.radiusKm / KM_PER_DEGREE;
        const dLon = dLat / Math.max(Math.cos((z.lat * Math.PI) / 180), 0.05);
        this.include(z.lon - dLon, z.lat - dLat);
        this.include(z.lon + dLon, z.lat + dLat);
      } else for (const [lon, lat] of z.points) this.include(lon, lat);
    }
    const b = this.bounds;
    const pad = 0.01; // about a kilometre around it
    this.include(b.minLon - pad, b.minLat - pad);
    this.include(b.maxLon + pad, b.maxLat + pad);
    this.zoomed = id;
    this.render();
  }

  include(lon, lat) {
    if (!usable(lon, lat)) return false;
    const b = this.bounds;
    if (b && lon >= b.minLon && lon <= b.maxLon && lat >= b.minLat && lat <= b.maxLat) return false;
    this.bounds = b
      ? { minLon: Math.min(b.minLon, lon), maxLon: Math.max(b.maxLon, lon), minLat: Math.min(b.minLat, lat), maxLat: Math.max(b.maxLat, lat) }
      : { minLon: lon, maxLon: lon, minLat: lat, maxLat: lat };
    this.projection();
    return true;
  }

  projection() {
    const b = this.bounds;
    const midLat = (b.minLat + b.maxLat) / 2;
    this.kx = Math.max(Math.cos((midLat * Math.PI) / 180), 0.05);
    const spanX = Math.max((b.maxLon - b.minLon) * this.kx, 0.02);
    const spanY = Math.max(b.maxLat - b.minLat, 0.02);
    this.scale = Math.min((W - 2 * PAD) / spanX, (H - 2 * PAD) / spanY);
    this.cx = ((b.minLon + b.maxLon) / 2) * this.kx;
    this.cy = midLat;
  }

  project(lon, lat) {
    if (!this.bounds) return [W / 2, H / 2];
    return [W / 2 + (lon * this.kx - this.cx) * this.scale, H / 2 - (lat - this.cy) * this.scale];
  }

  unproject(x, y) {
    const lon = ((x - W / 2) / this.scale + this.cx) / this.kx;
    const lat = this.cy - (y - H / 2) / this.scale;
    return [lon, lat];
  }

  // ------------------------------------------------------------ data
  setCities(cities) {
    this.cities = cities || [];
    for (const c of this.cities) this.include(c.longitude, c.latitude);
  }

  setZones(zones) {
    this.zones = zones;
    this.renderZones();
  }

  select(id) {
    this.selected = id;
    for (const [vid, node] of this.nodes) {
      node.group.setAttribute("aria-pressed", vid === id ? "true" : "false");
      node.group.classList.toggle("selected", vid === id);
    }
    this.renderZones();
  }

  setPlacing(on) {
    this.placing = on;
    this.svg.classList.toggle("placing", on);
  }

  // ------------------------------------------------------------ drawing
  render() {
    let grew = false;
    for (const v of this.vehicles.values()) {
      if (this.zoomed && v.id !== this.zoomed) continue;
      grew = this.include(v.longitude, v.latitude) || grew;
    }
    this.renderGrid();
    this.renderCities();
    this.renderZones();
    for (const [id, node] of this.nodes) {
      if (!this.vehicles.has(id)) {
        node.group.remove();
        node.track.remove();
        this.nodes.delete(id);
      }
    }
    for (const v of this.vehicles.values()) this.renderVehicle(v);
    return grew;
  }

  renderGrid() {
    const g = this.layers.grid;
    g.replaceChildren();
    if (!this.bounds) return;
    const [lon0, lat0] = this.unproject(0, H);
    const [lon1, lat1] = this.unproject(W, 0);
    const span = Math.max(lon1 - lon0, lat1 - lat0);
    const step = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20].find((s) => span / s <= 12) || 30;
    const digits = step < 0.1 ? 2 : step < 1 ? 1 : 0;
    for (let lon = Math.ceil(lon0 / step) * step; lon <= lon1; lon += step) {
      const [x] = this.project(lon, 0);
      el("line", { x1: x, y1: 0, x2: x, y2: H, class: "graticule" }, g);
      el("text", { x: x + 3, y: H - 6, class: "graticule-label" }, g).textContent = `${lon.toFixed(digits)}°`;
    }
    for (let lat = Math.ceil(lat0 / step) * step; lat <= lat1; lat += step) {
      const [, y] = this.project(0, lat);
      el("line", { x1: 0, y1: y, x2: W, y2: y, class: "graticule" }, g);
      el("text", { x: 4, y: y - 3, class: "graticule-label" }, g).textContent = `${lat.toFixed(digits)}°`;
    }
  }

  renderCities() {
    const g = this.layers.cities;
    g.replaceChildren();
    for (const c of this.cities) {
      if (!usable(c.longitude, c.latitude)) continue;
      const [x, y] = this.project(c.longitude, c.latitude);
      const city = el("g", { class: "city" }, g);
      el("rect", { x: x - 4, y: y - 4, width: 8, height: 8, class: "city-mark" }, city);
      el("text", { x: x + 8, y: y - 8, class: "city-name" }, city).textContent = c.name;
    }
  }

  renderZones() {
    const g = this.layers.zones;
    g.replaceChildren();
    if (!this.bounds) return;
    for (const z of this.zones) {
      const cls = `zone ${z.holds ? "zone-holds" : ""} ${z.vehicleId === this.selected ? "zone-selected" : ""}`;
      let shape;
      if (z.kind === "circle") {
        const [x, y] = this.project(z.lon, z.lat);
        shape = el("circle", { cx: x, cy: y, r: Math.max((z.radiusKm / KM_PER_DEGREE) * this.scale, 2), class: cls }, g);
      } else {
        const pts = z.points.map(([lon, lat]) => this.project(lon, lat).map((n) => n.toFixed(1)).join(",")).join(" ");
        shape = el("polygon", { points: pts, class: cls }, g);
      }
      el("title", {}, shape).textContent = z.title;
    }
  }

  renderVehicle(v) {
    let node = this.nodes.get(v.id);
    if (!node) {
      const track = el("polyline", { class: "track", "data-vehicle": v.id }, this.layers.tracks);
      const group = el("g", { class: "vehicle", tabindex: 0, role: "button", "aria-pressed": "false", "data-id": v.id }, this.layers.vehicles);
      const arrow = el("path", { d: "M0,-15 L5,-7 L-5,-7 Z", class: "heading" }, group);
      const dot = el("circle", { r: 8, class: "dot" }, group);
      const label = el("text", { x: 12, y: 4, class: "vehicle-label" }, group);
      group.addEventListener("click", (event) => {
        event.stopPropagation();
        if (this.placing) this.clicked(event);
        else this.onSelect(v.id);
      });
      group.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          this.onSelect(v.id);
        }
      });
      node = { group, dot, arrow, label, track };
      this.nodes.set(v.id, node);
    }
    const [x, y] = this.project(v.longitude, v.latitude);
    const state = STATES.includes(v.state) ? v.state : "parked";
    node.group.setAttribute("class", `vehicle state-${state}${v.id === this.selected ? " selected" : ""}`);
    node.group.setAttribute("transform", `translate(${x.toFixed(1)},${y.toFixed(1)})`);
    node.group.setAttribute("data-latitude", String(v.latitude));
    node.group.setAttribute("data-longitude", String(v.longitude));
    node.group.setAttribute("data-state", state);
    node.group.setAttribute("aria-label", `${v.label} ${v.vin}, ${state}${Number.isFinite(v.speedKmh) && v.speedKmh > 0 ? `, ${Math.round(v.speedKmh)} km/h` : ""}`);
    node.arrow.setAttribute("transform", `rotate(${Number(v.heading) || 0})`);
    node.arrow.classList.toggle("hidden", state !== "driving");
    node.label.textContent = v.short || v.label;
    const pts = (v.track || []).filter(([lon, lat]) => usable(lon, lat)).map(([lon, lat]) => this.project(lon, lat).map((n) => n.toFixed(1)).join(","));
    node.track.setAttribute("points", pts.join(" "));
    node.track.setAttribute("class", `track state-${state}${v.id === this.selected ? " selected" : ""}`);
  }

  clicked(event) {
    if (!this.placing || !this.bounds) return;
    const matrix = this.svg.getScreenCTM();
    if (!matrix) return;
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    const [lon, lat] = this.unproject(point.x, point.y);
    this.onPlace(Math.max(-180, Math.min(180, lon)), Math.max(-90, Math.min(90, lat)));
  }
}

// Zones of a vehicle's monitors, from the monitor bodies of GET /vehicles/{id}/monitors
// (every accepted spelling: place/circle/polygon, ExtCircle, GeoJSON's ring list).
export function zonesOf(monitor) {
  const out = [];
  const body = monitor.monitor || {};
  const triggers = (body.triggerParam && body.triggerParam.triggers) || [];
  const holds = new Map((monitor.triggers || []).map((t) => [t.name, t.holds]));
  for (const trigger of triggers) {
    const zone = trigger.zone;
    if (!zone) continue;
    let shape = zone.place || zone.circle || zone.polygon;
    if (!shape) continue;
    if (shape.type === "ExtCircle") shape = shape.coordinates;
    const title = `${monitor.label || monitor.monitorId}: ${trigger.name} (${zone.transition || "zone"})`;
    const base = { vehicleId: monitor.vehicleId, title, holds: holds.get(trigger.name) === true };
    if (shape.center && Number.isFinite(shape.radius)) {
      out.push({ ...base, kind: "circle", lon: shape.center.longitude, lat: shape.center.latitude, radiusKm: shape.radius });
    } else if (Array.isArray(shape.coordinates)) {
      let ring = shape.coordinates;
      if (ring.length === 1 && Array.isArray(ring[0]) && Array.isArray(ring[0][0])) ring = ring[0];
      const points = ring.filter((p) => Array.isArray(p) && usable(p[0], p[1])).map((p) => [p[0], p[1]]);
      if (points.length >= 3) out.push({ ...base, kind: "polygon", points });
    }
  }
  return out;
}
