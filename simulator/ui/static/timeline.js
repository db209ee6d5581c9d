// The timeline: every event of the stream (samples on demand), newest first, filtered by
// vehicle, callback, kind and outcome; dead letters with a Replay button.

const MAX_EVENTS = 1500;
const SHOWN = 400;

function li(cls) {
  const item = document.createElement("li");
  item.className = cls;
  return item;
}

function span(text, cls) {
  const node = document.createElement("span");
  node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

export function shortTime(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function shortId(id) {
  return id ? String(id).slice(0, 8) : "–";
}

// "Pending: Accepted", "Done: Success": the notification's eventStatus type and status
// (the stream sends them as status and detail).
export function remoteStep(e) {
  const type = e.detail !== undefined ? e.status : e.step;
  const status = e.detail !== undefined ? e.detail : e.status;
  return type ? `${type}: ${status}` : String(status);
}

export function describe(e, names) {
  const car = names(e.vin) || e.vin || "";
  switch (e.kind) {
    case "remote":
      return `${car}: remote ${e.type || ""} ${e.label ? `“${e.label}” ` : ""}${shortId(e.remoteActionId)} → ${remoteStep(e)}${e.failureCause ? ` (${e.failureCause})` : ""}`;
    case "monitor": {
      const ev = e.event || {};
      const what = ev.type || ev.status || ev.eventType || "event";
      return `${car}: monitor ${e.label || shortId(e.monitorId)} → ${what}`;
    }
    case "delivery": {
      const answer = e.httpStatus ? `HTTP ${e.httpStatus}` : e.error ? e.error : "no answer";
      const retry = e.nextRetry ? `, next retry ${shortTime(e.nextRetry)}` : "";
      return `${e.channel || "delivery"} ${e.target || ""} attempt ${e.attempt}: ${answer}${e.httpStatus && e.error && e.error !== answer ? ` (${e.error})` : ""} → ${e.outcome}${retry}`;
    }
    case "clock":
      return `clock ${e.change}: ${shortTime(e.now)}, ×${e.speed}${e.paused ? ", paused" : ""}`;
    case "scenario":
      return `scenario step ${e.step}/${e.steps}${e.message ? `: ${e.message}` : ""}`;
    case "callback":
      return `callback ${shortId(e.callbackId)} ${e.change}`;
    case "sample":
      return `${car}: sample (${e.cause || "data"}) ${e.state || ""}, ${Math.round(e.speedKmh || 0)} km/h${e.energyLevel == null ? "" : `, ${Math.round(e.energyLevel)} %`}`;
    case "gap":
      return `events ${e.from}…${e.oldest} missed (the page reloaded its data)`;
    default:
      return `${e.kind}`;
  }
}

export class Timeline {
  constructor(root, { names, onReplay }) {
    this.list = root.querySelector("#events");
    this.count = root.querySelector("#events-count");
    this.dead = root.querySelector("#dead-letters");
    this.filters = {
      vehicle: root.querySelector("#filter-vehicle"),
      callback: root.querySelector("#filter-callback"),
      kind: root.querySelector("#filter-kind"),
      outcome: root.querySelector("#filter-outcome"),
      samples: root.querySelector("#filter-samples"),
    };
    this.names = names;
    this.onReplay = onReplay;
    this.events = [];
    this.callbacks = new Set();
    for (const input of Object.values(this.filters)) input.addEventListener("change", () => this.render());
    root.querySelector("#timeline-clear").addEventListener("click", () => {
      this.events = [];
      this.render();
    });
  }

  setVehicles(vehicles) {
    const select = this.filters.vehicle;
    const current = select.value;
    select.replaceChildren(new Option("All vehicles", ""));
    for (const v of vehicles) select.add(new Option(`${v.label} (${v.vin})`, v.vin));
    select.value = [...select.options].some((o) => o.value === current) ? current : "";
  }

  noteCallback(id) {
    if (!id || this.callbacks.has(id)) return;
    this.callbacks.add(id);
    this.filters.callback.add(new Option(`Callback ${shortId(id)}`, id));
  }

  matches(e) {
    const f = this.filters;
    if (e.kind === "sample" && !f.samples.checked && f.kind.value !== "sample") return false;
    if (f.kind.value && e.kind !== f.kind.value) return false;
    if (f.vehicle.value && e.vin !== f.vehicle.value) return false;
    if (f.callback.value && e.callbackId !== f.callback.value) return false;
    if (f.outcome.value && e.outcome !== f.outcome.value) return false;
    return true;
  }

  add(e) {
    this.noteCallback(e.callbackId);
    this.events.push(e);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    if (!this.matches(e)) return;
    this.list.prepend(this.item(e));
    while (this.list.children.length > SHOWN) this.list.lastElementChild.remove();
    this.updateCount();
  }

  render() {
    const shown = this.events.filter((e) => this.matches(e)).slice(-SHOWN).reverse();
    this.list.replaceChildren(...shown.map((e) => this.item(e)));
    this.updateCount();
  }

  updateCount() {
    this.count.textContent = `(${this.list.children.length} shown of ${this.events.length})`;
  }

  item(e) {
    const outcome = e.outcome ? ` outcome-${e.outcome}` : "";
    const item = li(`event kind-${e.kind}${outcome}`);
    item.dataset.kind = e.kind;
    if (e.outcome) item.dataset.outcome = e.outcome;
    if (e.eventId) item.dataset.eventId = e.eventId;
    if (e.remoteActionId) item.dataset.remote = e.remoteActionId;
    item.append(span(shortTime(e.at), "event-time"), span(e.kind, "badge kind"), span(describe(e, this.names), "event-text"));
    if (e.kind === "delivery" && e.outcome === "deadLettered" && e.eventId) {
      item.append(this.replayButton(e.eventId));
    }
    return item;
  }

  replayButton(eventId) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "replay";
    button.textContent = "Replay";
    button.setAttribute("aria-label", `Replay dead letter ${shortId(eventId)}`);
    button.dataset.eventId = eventId;
    button.addEventListener("click", () => this.onReplay(eventId, button));
    return button;
  }

  setDeadLetters(letters) {
    if (!letters.length) {
      const empty = li("hint");
      empty.textContent = "None.";
      this.dead.replaceChildren(empty);
      return;
    }
    this.dead.replaceChildren(
      ...letters.map((d) => {
        const item = li("dead-letter");
        item.dataset.eventId = d.eventId;
        const car = this.names(d.vin) || d.vin;
        item.append(
          span(shortTime(d.at), "event-time"),
          span(`${car}: ${d.type} event ${shortId(d.eventId)} via ${d.channel}, ${d.attempts} attempts — ${d.reason}`, "event-text"),
          this.replayButton(d.eventId),
        );
        return item;
      }),
    );
  }
}
