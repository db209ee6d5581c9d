// The control API and its event stream, same origin (the page is served by the simulator).
// The control token, when the person gives one, lives in sessionStorage and only ever goes
// into an Authorization header: it is never written into the page.

const BASE = "/simulator/v1";
const TOKEN_KEY = "ccsim-control-token";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  } catch {
    return "";
  }
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(extra = {}) {
  const out = { Accept: "application/json", ...extra };
  const t = token();
  if (t) out.Authorization = `Bearer ${t}`;
  return out;
}

export async function call(method, path, body) {
  const init = { method, headers: headers(), credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(BASE + path, init);
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { message: text };
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body);
export const patch = (path, body) => call("PATCH", path, body);
export const put = (path, body) => call("PUT", path, body);

// ISO 8601 duration (PT10M, P1DT2H, PT90S) or plain seconds, to seconds; null when unreadable.
export function durationSeconds(text) {
  const value = String(text).trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const m = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(value);
  if (!m || value.toUpperCase() === "P" || /T$/i.test(value)) return null;
  const [, w, d, h, min, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  return (((w * 7 + d) * 24 + h) * 60 + min) * 60 + s;
}

// Server-sent events read with fetch() (so that a control token can go in a header),
// resumed with Last-Event-ID after a cut. onEvent(kind, data, id); onState(text, ok).
export class EventStream {
  constructor(onEvent, onState) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.lastId = null;
    this.controller = null;
    this.stopped = false;
    this.delay = 500;
  }

  start() {
    this.stopped = false;
    this.run();
  }

  stop() {
    this.stopped = true;
    if (this.controller) this.controller.abort();
  }

  restart() {
    if (this.controller) this.controller.abort();
  }

  async run() {
    while (!this.stopped) {
      this.controller = new AbortController();
      const extra = { Accept: "text/event-stream" };
      if (this.lastId !== null) extra["Last-Event-ID"] = String(this.lastId);
      try {
        const response = await fetch(BASE + "/events", {
          headers: headers(extra),
          signal: this.controller.signal,
          cache: "no-store",
        });
        if (!response.ok) {
          let body = null;
          try { body = await response.json(); } catch { body = null; }
          throw new ApiError(response.status, body);
        }
        this.onState("Live: receiving events", true);
        this.delay = 500;
        await this.read(response.body.getReader());
        this.onState("Event stream ended; reconnecting…", false);
      } catch (error) {
        if (this.stopped) return;
        const auth = error instanceof ApiError && error.status === 401;
        this.onState(auth ? "The event stream needs the control token" : `Event stream cut (${error.message}); reconnecting…`, false, error);
        if (auth) return;
      }
      await new Promise((resolve) => setTimeout(resolve, this.delay));
      this.delay = Math.min(this.delay * 2, 8000);
    }
  }

  async read(reader) {
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        this.dispatch(block);
      }
    }
  }

  dispatch(block) {
    let kind = "message";
    let id = null;
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") kind = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
    }
    if (id !== null && id !== "") this.lastId = id;
    if (!data.length) return;
    let parsed;
    try {
      parsed = JSON.parse(data.join("\n"));
    } catch {
      return;
    }
    try {
      this.onEvent(parsed.kind || kind, parsed, id);
    } catch (error) {
      console.error("event handler failed", error);
    }
  }
}
