// Attribution beacons: the hands of the core's outbox (vitrine_core::outbox,
// in both wasm builds). The core decides: each event (its id, fields and
// page view), what is kept until the collector acknowledges it, which
// batch goes when, what a send's answer does (retry with backoff, or
// forget), what goes by sendBeacon as the page hides, and what the offline
// cap drops (reported in a queue_overflow event). This module tells it what
// happened, with the clock and fresh randomness, and carries out its answer:
// the outbox's entries (in localStorage), one timer, fetch(keepalive) and
// sendBeacon. No cookies; a random id per page view.
import { guard } from "./guard.js";
import { platformOf } from "./net.js";
import { RS, US } from "./plan.js";
import { settleAll } from "./viewability.js";

/** A fresh random 128-bit click id, as 32 hex digits. */
export function newClickId() {
  return crypto.randomUUID().replaceAll("-", "");
}

const OUTBOX_KEY = "vitrine.outbox";
// The outbox, as kept in localStorage (a JSON list of `{ to, event }`,
// oldest first: only the core reads it), this page view's state of it (the
// core's; at first the page view's random id), the timer the core asked
// for, and the wasm build whose core runs the beacons: whichever is here
// first.
let outbox = "";
try {
  outbox = localStorage.getItem(OUTBOX_KEY) ?? "";
} catch {
  // Storage off: the outbox lives in memory.
}
let view = newClickId();
let timer = 0;
let queue = null;
// The built-ins the beacons need, as they were when the SDK loaded: a host
// page that wraps or replaces them later (a tag manager's fetch) must not
// lose the creators' attribution on the way.
const post = fetch;
const { parse, stringify } = JSON;

/** A wasm build is here (and given back): the first one runs the beacons from now on. */
export function serveBeacons(wasm) {
  if (!queue) {
    queue = wasm;
    step(0); // events a previous page view left unsent go out now
  }
  return wasm;
}

/** Consent: "denied" sends nothing; Global Privacy Control counts as denied unless the host said otherwise. */
export function consented(options) {
  if (options.consent === "denied") return false;
  return options.consent === "granted" || !navigator.globalPrivacyControl;
}

/**
 * Tells the core's outbox what happened (`input`: 0 the timer, 1 an event
 * heard only, 2 an event to send, 3 the answer to the send on its way, its
 * `status`, 4 the page hidden, 5 shown) and carries out its plan. Returns
 * the event it built, as JSON, if any.
 */
function step(input, status = 0, observed = "") {
  const plan = queue && guard(() => queue.beacons(outbox, view, input, Date.now(), status, observed));
  if (!plan) return;
  const [kept, next, wake, event, send, ...beacons] = plan.split(RS);
  view = next;
  if (kept) {
    outbox = kept;
    try {
      localStorage.setItem(OUTBOX_KEY, kept);
    } catch {
      // Storage off or full: events still go out from memory.
    }
  }
  clearTimeout(timer);
  timer = wake && setTimeout(step, +wake, 0);
  if (send) {
    const [to, body] = send.split(US);
    new Promise((resolve) => resolve(post(to, { method: "POST", body, headers: { "content-type": "text/plain" }, keepalive: true, credentials: "omit", mode: "cors" })))
      .then((response) => response.status, () => 0)
      .then((status) => step(3, status + Math.random()));
  }
  // Leaving: sendBeacon (no preflight with text/plain). What is beaconed
  // stays in the outbox until a send of it is answered.
  for (const beacon of beacons) {
    const [to, body] = beacon.split(US);
    navigator.sendBeacon?.(to, new Blob([body], { type: "text/plain" }));
  }
  return event;
}

/** Records an event for `element` (a DOM event for the host, and a beacon with consent). */
export function track(element, options, type, fields) {
  // What the core builds the event from: fresh randomness (its id), and as
  // JSON its collector, type, placement, page and other fields.
  const observed = [platformOf(options) + "/v1/events", type, String(options.placement), location.origin + location.pathname, fields];
  let text = newClickId() + newClickId();
  for (const part of observed) text += US + stringify(part); // not `map`, which a host page may have replaced
  const event = step(1 + consented(options), 0, text);
  // The collector checks every event against the shared schema (and says
  // why it refuses one); checking here as well cost 2.4 KB of wasm.
  // Guarded: whatever the host's listeners (or its JSON) do, what follows the event still runs.
  if (event) guard(() => element.dispatchEvent(new CustomEvent("vitrine:" + type, { detail: parse(event), bubbles: true, composed: true })));
}

// Leaving or hiding the page: elements in view long enough count first (a
// timer may not run again on this page), then everything not beaconed yet
// goes by sendBeacon.
function leave() {
  settleAll();
  step(4);
}

/** Beacons the outbox whenever the page is left or hidden (the entry module calls it once, before any element mounts). */
export function beaconOnLeave() {
  addEventListener("pagehide", leave);
  document.addEventListener("visibilitychange", () => (document.visibilityState === "hidden" ? leave() : step(5)));
}
