// Attribution beacons.
//
// Events are kept in an outbox in localStorage until the collector acknowledges them: batched, sent
// with fetch(keepalive), retried with the core's backoff, and beaconed when
// the page is hidden. A beaconed batch stays in the outbox and goes again on
// the next page view; the collector counts an event id once, so nothing is
// lost and nothing is doubled. No cookies; a random id per page view.
import { guard } from "./guard.js";
import { platformOf } from "./net.js";
import { settleAll } from "./viewability.js";

/** A fresh random 128-bit click id, as 32 hex digits. */
export function newClickId() {
  return crypto.randomUUID().replaceAll("-", "");
}

const SDK_VERSION = "0.0.0-workspace";
const VIEW_ID = newClickId();
const OUTBOX_KEY = "vitrine.outbox";
// The outbox (its entries, `{ to, event }`, oldest first), the failed
// attempts at sending its first batch, the timer of the next flush, whether
// a batch is on its way, and the ids of the events beaconed since the page
// was last shown.
let outbox = readOutbox();
let attempts = 0;
let timer = 0;
let sending = false;
const beaconed = new Set();
// The queue's policy is the core's, in both wasm builds (src/lib.rs);
// whichever build is here first serves the beacons.
let queue = null;

function readOutbox() {
  try {
    const stored = JSON.parse(localStorage.getItem(OUTBOX_KEY) ?? "[]");
    return Array.isArray(stored) ? stored : [];
  } catch {
    return [];
  }
}

function saveOutbox() {
  try {
    localStorage.setItem(OUTBOX_KEY, JSON.stringify(outbox));
  } catch {
    // Storage off or full: events still go out from memory.
  }
}

/** A wasm build is here (and given back): the first one's policy runs the queue from now on. */
export function serveBeacons(wasm) {
  if (!queue) {
    queue = wasm;
    scheduleFlush(); // events a previous page view left unsent go out now
  }
  return wasm;
}

/** Consent: "denied" sends nothing; Global Privacy Control counts as denied unless the host said otherwise. */
export function consented(options) {
  if (options.consent === "denied") return false;
  return options.consent === "granted" || !navigator.globalPrivacyControl;
}

function newEvent(options, type, fields) {
  return {
    id: newClickId(),
    type,
    placement: String(options.placement),
    page: location.origin + location.pathname,
    ts: Date.now(),
    sdk: SDK_VERSION,
    view: VIEW_ID,
    ...fields,
  };
}

/** Records an event for `element` (a DOM event for the host, and a beacon). */
export function track(element, options, type, fields) {
  const event = newEvent(options, type, fields);
  element.dispatchEvent(new CustomEvent("vitrine:" + type, { detail: { ...event }, bubbles: true, composed: true }));
  // The collector checks every event against the shared schema (and says
  // why it refuses one); checking here as well cost 2.4 KB of wasm.
  if (!consented(options)) return;
  const [, , maxKept] = policy();
  const to = platformOf(options) + "/v1/events";
  outbox.push({ to, event });
  if (outbox.length > maxKept) {
    // Full: the oldest go, and the loss itself is reported (room is made
    // for saying so).
    const dropped = outbox.length - maxKept + 1;
    outbox.splice(0, dropped);
    outbox.push({ to, event: newEvent(options, "queue_overflow", { count: dropped }) });
  }
  saveOutbox();
  scheduleFlush();
}

/** The queue's sizes, by the core's policy (these defaults until a wasm is here). */
export function policy() {
  return (queue && guard(() => queue.queuePolicy())) ?? [20, 1000, 500];
}

function scheduleFlush() {
  const [batchEvents, batchDelay] = policy();
  if (outbox.length >= batchEvents) flush();
  else if (!timer && outbox.length) timer = setTimeout(flush, batchDelay);
}

/** The next batch: entries for the same collector as the first, at most `batchEvents`. */
export function nextBatch(entries, batchEvents) {
  const to = entries[0]?.to;
  return entries.filter((entry) => entry.to === to).slice(0, batchEvents);
}

function flush() {
  clearTimeout(timer);
  timer = 0;
  if (sending || !outbox.length) return;
  const batch = nextBatch(outbox, policy()[0]);
  sending = true;
  fetch(batch[0].to, {
    method: "POST",
    body: JSON.stringify(batch.map((entry) => entry.event)),
    headers: { "content-type": "text/plain" },
    keepalive: true,
    credentials: "omit",
    mode: "cors",
  })
    .then((response) => response.status, () => 0)
    .then((status) => {
      sending = false;
      const wait = (queue && guard(() => queue.sendOutcome(status, attempts, Math.random()))) ?? 1000;
      if (wait > 0) {
        attempts++;
        timer = setTimeout(flush, wait);
        return;
      }
      // Accepted (or refused for good): forget exactly these events.
      const sent = new Set(batch.map((entry) => entry.event.id));
      outbox = outbox.filter((entry) => !sent.has(entry.event.id));
      attempts = 0;
      saveOutbox();
      scheduleFlush();
    });
}

// Leaving or hiding the page: hand everything to sendBeacon (no preflight
// with text/plain). The entries stay in the outbox until a fetch is
// acknowledged, so a beacon lost on the way is sent again later. Cards in
// view long enough count first: a timer may not run again on this page.
function beaconAll() {
  settleAll();
  const [batchEvents] = policy();
  const byCollector = new Map();
  for (const { to, event } of outbox) {
    // pagehide and visibilitychange both come on leaving: one beacon each.
    if (beaconed.has(event.id)) continue;
    beaconed.add(event.id);
    byCollector.set(to, [...(byCollector.get(to) ?? []), event]);
  }
  for (const [to, events] of byCollector) {
    for (let i = 0; i < events.length; i += batchEvents) {
      navigator.sendBeacon?.(to, new Blob([JSON.stringify(events.slice(i, i + batchEvents))], { type: "text/plain" }));
    }
  }
}

/** Beacons the outbox whenever the page is left or hidden (the entry module calls it once, before any element mounts). */
export function beaconOnLeave() {
  addEventListener("pagehide", beaconAll);
  document.addEventListener("visibilitychange", () =>
    document.visibilityState === "hidden" ? beaconAll() : beaconed.clear());
}
