// The attribution beacons' glue, driven through the module itself with the
// browser's pieces faked and the core's outbox (vitrine_core::outbox, whose
// decisions core/tests/beacons.rs tests) faked by a build that records what
// it is told and answers with the plans a test gives it: what the shell
// tells the core (what happened, the clock, randomness, what it observed of
// an event), and how it carries out a plan (localStorage, the one timer,
// fetch, sendBeacon, the host's DOM event).
import { test, mock, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { fakeStorage, setGlobal, shipped } from "./fake.mjs";

const { RS, US } = await shipped("plan.js");
const PAGE = { origin: "https://blog.example", pathname: "/post/1" };
const A = "https://a.example";

let page;
beforeEach(() => {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_700_000_000_000 });
  const listeners = { window: new Map(), document: new Map() };
  const on = (target) => (type, listener) => listeners[target].set(type, [...(listeners[target].get(type) ?? []), listener]);
  const off = (target) => (type, listener) => listeners[target].set(type, (listeners[target].get(type) ?? []).filter((l) => l !== listener));
  page = {
    storage: fakeStorage(),
    beacons: [],
    posts: [],
    /** Each POST's answer: a status, or a function of the request giving one. */
    answer: 202,
    fire: (target, type) => listeners[target].get(type)?.forEach((listener) => listener()),
  };
  setGlobal("localStorage", page.storage);
  setGlobal("location", PAGE);
  setGlobal("navigator", {
    globalPrivacyControl: false,
    sendBeacon: (to, blob) => page.beacons.push({ to, blob }),
  });
  setGlobal("addEventListener", on("window"));
  setGlobal("document", { visibilityState: "visible", addEventListener: on("document"), removeEventListener: off("document") });
  setGlobal("fetch", async (to, init) => {
    page.posts.push({ to, init });
    const status = await (typeof page.answer === "function" ? page.answer(to) : page.answer);
    if (status === 0) throw new TypeError("Failed to fetch");
    return { status };
  });
});
afterEach(() => mock.timers.reset());

// A fresh instance of the module (its own outbox) for each test, as for a
// fresh page view; shipped, with the plan's separators the build puts in.
let views = 0;
const beacons = async () => {
  const { pathToFileURL } = await import("node:url");
  await shipped("beacons.js");
  return import(pathToFileURL(shipped.dir + "/beacons.js").href + "?view=" + ++views);
};
const settled = () => new Promise(setImmediate);
const host = () => ({ events: [], dispatchEvent(event) { this.events.push(event); } });
/** A plan as the core writes one (vitrine_core::outbox's records). */
const plan = ({ kept = "", view = "v", wake = "", event = "", post = "", beacons = [] } = {}) =>
  [kept, view, wake, event, post, ...beacons].join(RS);
/** A wasm build whose core answers each step with `answers` in turn (then an empty plan), recording what it is told. */
const build = (...answers) => ({
  told: [],
  beacons(outbox, view, input, now, status, observed) {
    this.told.push({ outbox, view, input, now, status, observed });
    return answers.length ? answers.shift() : plan({ view });
  },
});

test("consent: denied sends nothing; Global Privacy Control counts as denied unless the host granted", async () => {
  const { consented } = await beacons();
  assert.equal(consented({}), true);
  assert.equal(consented({ consent: "denied" }), false);
  navigator.globalPrivacyControl = true;
  assert.equal(consented({}), false);
  assert.equal(consented({ consent: "granted" }), true);
  assert.equal(consented({ consent: "denied" }), false);
});

test("nothing is told before a wasm build is here; the first build's core runs the beacons from then on, starting with what localStorage kept", async () => {
  page.storage.setItem("vitrine.outbox", '[{"to":"x","event":{"id":"e1"}}]');
  const { track, serveBeacons, beaconOnLeave } = await beacons();
  beaconOnLeave();
  const element = host();
  track(element, { platform: A, placement: "p" }, "impression", {});
  page.fire("window", "pagehide");
  assert.deepEqual(element.events, [], "no core yet: no event");
  const first = build();
  assert.equal(serveBeacons(first), first, "the build is given back");
  const second = build();
  serveBeacons(second);
  assert.deepEqual(second.told, []);
  const [start] = first.told;
  assert.equal(start.input, 0, "a page view starts as a timer would wake it");
  assert.equal(start.outbox, '[{"to":"x","event":{"id":"e1"}}]', "the outbox as kept, untouched");
  assert.match(start.view, /^[0-9a-f]{32}$/, "this page view's state starts as its random id");
  assert.equal(start.now, 1_700_000_000_000, "the clock: ms since the epoch");
});

test("a core that throws is warned about and changes nothing", async (t) => {
  const warn = t.mock.method(console, "warn", () => {});
  const { track, serveBeacons } = await beacons();
  serveBeacons({ beacons() { throw new Error("trapped"); } });
  const element = host();
  track(element, { platform: A, placement: "p" }, "impression", {});
  assert.match(warn.mock.calls[0].arguments[0], /^vitrine: Error: trapped/);
  assert.deepEqual(element.events, []);
  assert.equal(page.storage.getItem("vitrine.outbox"), null);
});

test("an event: the core is told what was observed, and the host hears the event it built as a DOM event; with consent it is kept", async () => {
  const { track, serveBeacons } = await beacons();
  const built = JSON.stringify({ id: "1".repeat(32), type: "impression", item: "itm_a" });
  const wasm = build(plan(), plan({ event: built }), plan({ kept: "[kept]", view: "v2", event: built }));
  serveBeacons(wasm);
  const element = host();
  track(element, { platform: A + "/", placement: "my-blog", consent: "denied" }, "impression", { item: "itm_a" });
  track(element, { platform: A + "/", placement: "my-blog" }, "impression", { item: "itm_a", reason: 'a "quoted"\nreason' });
  const [, denied, kept] = wasm.told;
  assert.equal(denied.input, 1, "denied: built for the host only");
  assert.equal(kept.input, 2, "consent: built and kept");
  const [random, ...parts] = kept.observed.split(US);
  assert.match(random, /^[0-9a-f]{64}$/, "fresh randomness for its id");
  assert.notEqual(random, denied.observed.split(US)[0]);
  assert.deepEqual(parts.map((part) => JSON.parse(part)), [
    A + "/v1/events", "impression", "my-blog", "https://blog.example/post/1", { item: "itm_a", reason: 'a "quoted"\nreason' },
  ], "its collector, type, placement, page and fields, each as JSON");
  assert.equal(kept.view, "v", "the state the last plan gave");
  assert.equal(element.events.length, 2);
  const [dom] = element.events;
  assert.equal(dom.type, "vitrine:impression");
  assert.ok(dom.bubbles && dom.composed, "it reaches the host page through the shadow root");
  assert.deepEqual(dom.detail, JSON.parse(built));
  assert.notEqual(element.events[1].detail, dom.detail, "each host event its own object");
  assert.equal(page.storage.getItem("vitrine.outbox"), "[kept]", "kept as the core wrote it");
  track(element, { platform: A, placement: "p" }, "click", {});
  assert.equal(wasm.told[3].outbox, "[kept]");
  assert.equal(wasm.told[3].view, "v2");
});

test("a plan is carried out: one timer (each plan's replaces the last), the POST as text/plain without cookies, its answer told with a jitter draw, beacons as text/plain", async () => {
  const { serveBeacons, track } = await beacons();
  const wasm = build(
    plan({ wake: "1000" }),
    plan({ wake: "300" }),
    plan({ post: A + "/v1/events" + US + '[{"id":"e1"}]' }),
  );
  serveBeacons(wasm);
  mock.timers.tick(500);
  track(host(), { platform: A, placement: "p" }, "impression", {});
  mock.timers.tick(299);
  assert.equal(wasm.told.length, 2);
  mock.timers.tick(1);
  assert.equal(wasm.told.length, 3, "the last plan's timer woke the core");
  assert.equal(wasm.told[2].input, 0);
  assert.equal(wasm.told[2].now, 1_700_000_000_800);
  assert.equal(page.posts.length, 1);
  const [post] = page.posts;
  assert.equal(post.to, A + "/v1/events");
  assert.deepEqual(post.init, { method: "POST", body: '[{"id":"e1"}]', headers: { "content-type": "text/plain" }, keepalive: true, credentials: "omit", mode: "cors" });
  await settled();
  const answer = wasm.told[3];
  assert.equal(answer.input, 3);
  assert.equal(Math.trunc(answer.status), 202, "the status");
  assert.ok(answer.status - 202 >= 0 && answer.status - 202 < 1, "and a draw in [0, 1) for the backoff's jitter");
  mock.timers.tick(60_000);
  assert.equal(wasm.told.length, 4, "the first plan's timer was replaced, and an empty wake is no timer");
});

test("a failed fetch is answered 0", async () => {
  const { serveBeacons } = await beacons();
  page.answer = 0;
  const wasm = build(plan({ post: A + US + "[]" }));
  serveBeacons(wasm);
  await settled();
  assert.equal(Math.trunc(wasm.told[1].status), 0);
});

test("storage off: the outbox lives in memory", async () => {
  const broken = () => { throw new Error("SecurityError"); };
  setGlobal("localStorage", { getItem: broken, setItem: broken });
  const { track, serveBeacons } = await beacons();
  const wasm = build(plan({ kept: "[one]" }));
  serveBeacons(wasm);
  assert.equal(wasm.told[0].outbox, "");
  track(host(), { platform: A, placement: "p" }, "impression", {});
  assert.equal(wasm.told[1].outbox, "[one]", "what the core wrote, from memory");
});

test("leaving the page: every watch counts its time first, then the core is told, which beacons; pagehide and visibilitychange both tell it, and being shown again too", async () => {
  const { serveBeacons, beaconOnLeave } = await beacons();
  const { watchViewable } = await shipped("viewability.js");
  beaconOnLeave();
  const order = [];
  const wasm = build();
  const told = wasm.beacons.bind(wasm);
  wasm.beacons = (...args) => {
    order.push("outbox " + args[2]);
    return args[2] === 4 ? plan({ beacons: [A + US + "[1]", A + US + "[2]"] }) : told(...args);
  };
  // The viewability rule, faked: viewable whenever it is asked with no news.
  wasm.viewable = (state, time, visible, ratio) => (ratio < 0 ? -1 : time + 1000);
  serveBeacons(wasm);
  setGlobal("IntersectionObserver", class {
    constructor(callback) { this.callback = callback; }
    observe() { this.callback([{ intersectionRatio: 1, time: 0 }]); }
    disconnect() {}
  });
  watchViewable({}, wasm, () => order.push("viewable"));
  page.fire("window", "pagehide");
  assert.deepEqual(order, ["outbox 0", "viewable", "outbox 4"]);
  assert.equal(page.beacons.length, 2);
  for (const { to, blob } of page.beacons) {
    assert.equal(to, A);
    assert.equal(blob.type, "text/plain");
  }
  assert.deepEqual(await Promise.all(page.beacons.map(({ blob }) => blob.text())), ["[1]", "[2]"]);
  document.visibilityState = "hidden";
  page.fire("document", "visibilitychange");
  document.visibilityState = "visible";
  page.fire("document", "visibilitychange");
  assert.deepEqual(order.slice(3), ["outbox 4", "outbox 5"], "hidden, then shown");
});
