// The attribution beacons' outbox, driven through the module itself with
// the browser's pieces faked: what is kept (and where), what is batched for
// which collector, retried, forgotten, and beaconed when the page is left.
import { test, mock, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { fakeStorage, setGlobal } from "./fake.mjs";

const PAGE = { origin: "https://blog.example", pathname: "/post/1" };
const A = "https://a.example";
const B = "https://b.example";

let page;
beforeEach(() => {
  mock.timers.enable({ apis: ["setTimeout"] });
  const listeners = { window: new Map(), document: new Map() };
  const on = (target) => (type, listener) => listeners[target].set(type, [...(listeners[target].get(type) ?? []), listener]);
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
  setGlobal("document", { visibilityState: "visible", addEventListener: on("document") });
  setGlobal("fetch", async (to, init) => {
    page.posts.push({ to, init, events: JSON.parse(init.body) });
    const status = await (typeof page.answer === "function" ? page.answer(to) : page.answer);
    if (status === 0) throw new TypeError("Failed to fetch");
    return { status };
  });
});
afterEach(() => mock.timers.reset());

// A fresh instance of the module (its own outbox) for each test, as for a
// fresh page view.
let views = 0;
const beacons = () => import("../../pkg-template/beacons.js?view=" + ++views);
const settled = () => new Promise(setImmediate);
const host = () => ({ events: [], dispatchEvent(event) { this.events.push(event); } });
const stored = () => JSON.parse(page.storage.getItem("vitrine.outbox") ?? "[]");
/** A wasm build's queue: `[batchEvents, batchDelay, maxKept]`, and the core's backoff as `outcome`. */
const build = (policy, outcome = (status) => (status === 202 ? 0 : 1000)) => ({
  outcomes: [],
  queuePolicy: () => policy,
  sendOutcome(status, attempts, jitter) {
    this.outcomes.push([status, attempts]);
    assert.ok(jitter >= 0 && jitter < 1);
    return outcome(status, attempts);
  },
});

test("nextBatch is the first collector's entries, in order, at most a batch", async () => {
  const { nextBatch } = await beacons();
  const entries = [{ to: A, n: 1 }, { to: B, n: 2 }, { to: A, n: 3 }, { to: A, n: 4 }];
  assert.deepEqual(nextBatch(entries, 2).map((e) => e.n), [1, 3]);
  assert.deepEqual(nextBatch(entries.slice(1), 5).map((e) => e.n), [2]);
  assert.deepEqual(nextBatch([], 5), []);
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

test("the queue's policy has defaults until a wasm build is here; the first build's is used, and one that throws falls back", async (t) => {
  const warn = t.mock.method(console, "warn", () => {});
  const { policy, serveBeacons } = await beacons();
  assert.deepEqual(policy(), [20, 1000, 500]);
  const first = build([5, 200, 50]);
  assert.equal(serveBeacons(first), first, "the build is given back");
  serveBeacons(build([1, 1, 1]));
  assert.deepEqual(policy(), [5, 200, 50]);

  const other = await beacons();
  other.serveBeacons({ queuePolicy() { throw new Error("trapped"); } });
  assert.deepEqual(other.policy(), [20, 1000, 500]);
  assert.match(warn.mock.calls[0].arguments[0], /^vitrine: Error: trapped/);
});

test("an event goes to the host as a DOM event, and to the outbox (in localStorage) only with consent", async () => {
  const { track } = await beacons();
  const element = host();
  track(element, { platform: A + "/", placement: "my-blog", consent: "denied" }, "impression", { item: "itm_a" });
  assert.equal(element.events.length, 1);
  const [dom] = element.events;
  assert.equal(dom.type, "vitrine:impression");
  assert.ok(dom.bubbles && dom.composed, "it reaches the host page through the shadow root");
  assert.equal(page.storage.getItem("vitrine.outbox"), null, "denied: kept nowhere");

  track(element, { platform: A + "/", placement: "my-blog" }, "impression", { item: "itm_a" });
  const [entry] = stored();
  assert.equal(entry.to, A + "/v1/events");
  assert.deepEqual(entry.event, element.events[1].detail);
  const { id, ts, view, ...rest } = entry.event;
  assert.deepEqual(rest, { type: "impression", placement: "my-blog", page: "https://blog.example/post/1", sdk: "0.0.0-workspace", item: "itm_a" });
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.match(view, /^[0-9a-f]{32}$/);
  assert.notEqual(id, dom.detail.id, "a fresh id per event");
  assert.equal(view, dom.detail.view, "one view id per page view");
  assert.equal(typeof ts, "number");
});

test("a full outbox drops its oldest events and says how many went, making room for saying so", async () => {
  const { track, serveBeacons } = await beacons();
  serveBeacons(build([100, 60_000, 5]));
  const element = host();
  for (let n = 1; n <= 6; n++) track(element, { platform: A, placement: "p" }, "impression", { n });
  const kept = stored().map((entry) => entry.event);
  assert.equal(kept.length, 5);
  assert.deepEqual(kept.slice(0, 4).map((event) => event.n), [3, 4, 5, 6]);
  assert.equal(kept[4].type, "queue_overflow");
  assert.equal(kept[4].count, 2);
});

test("a batch's worth goes at once, to the first entry's collector, as text/plain without cookies; accepted events are forgotten", async () => {
  const { track, serveBeacons } = await beacons();
  const wasm = build([3, 1000, 500]);
  serveBeacons(wasm);
  const element = host();
  track(element, { platform: A, placement: "p" }, "impression", { n: 1 });
  track(element, { platform: B, placement: "p" }, "impression", { n: 2 });
  assert.equal(page.posts.length, 0, "under a batch: waiting");
  track(element, { platform: A, placement: "p" }, "click", { n: 3 });
  track(element, { platform: A, placement: "p" }, "click", { n: 4 });
  assert.equal(page.posts.length, 1, "a batch: sent at once, and one POST at a time");
  const [post] = page.posts;
  assert.equal(post.to, A + "/v1/events");
  assert.deepEqual(post.events.map((event) => event.n), [1, 3]);
  assert.deepEqual(
    { ...post.init, body: undefined },
    { method: "POST", body: undefined, headers: { "content-type": "text/plain" }, keepalive: true, credentials: "omit", mode: "cors" },
  );
  await settled();
  assert.deepEqual(stored().map((entry) => entry.event.n), [2, 4], "accepted: exactly those forgotten");
  // The rest are under a batch: they wait the batch delay, one collector at a time.
  mock.timers.tick(999);
  assert.equal(page.posts.length, 1);
  mock.timers.tick(1);
  assert.deepEqual(page.posts.slice(1).map((p) => [p.to, p.events.map((event) => event.n)]), [[B + "/v1/events", [2]]]);
  await settled();
  mock.timers.tick(1000);
  await settled();
  assert.deepEqual(page.posts.slice(2).map((p) => [p.to, p.events.map((event) => event.n)]), [[A + "/v1/events", [4]]]);
  assert.deepEqual(stored(), []);
  assert.deepEqual(wasm.outcomes, [[202, 0], [202, 0], [202, 0]]);
});

test("a refused or failed send is retried after the core's wait, counting attempts until one is accepted", async () => {
  const { track, serveBeacons } = await beacons();
  const wasm = build([1, 1000, 500], (status, attempts) => (status === 202 || status === 400 ? 0 : 1000 * 2 ** attempts));
  serveBeacons(wasm);
  page.answer = 503;
  track(host(), { platform: A, placement: "p" }, "impression", { n: 1 });
  await settled();
  page.answer = 0; // the network is down
  mock.timers.tick(999);
  assert.equal(page.posts.length, 1);
  mock.timers.tick(1);
  await settled();
  assert.equal(page.posts.length, 2);
  page.answer = 202;
  mock.timers.tick(2000);
  await settled();
  assert.deepEqual(page.posts.map((p) => p.events.map((event) => event.n)), [[1], [1], [1]], "the same batch each time");
  assert.deepEqual(wasm.outcomes, [[503, 0], [0, 1], [202, 2]]);
  assert.deepEqual(stored(), []);
  // Attempts start over after an accepted batch; a refusal for good (the wasm's 0) forgets too.
  page.answer = 400;
  track(host(), { platform: A, placement: "p" }, "impression", { n: 2 });
  await settled();
  assert.deepEqual(wasm.outcomes.at(-1), [400, 0]);
  assert.deepEqual(stored(), []);
});

test("what a previous page view left in the outbox goes out once a wasm build is here", async () => {
  const entry = (n) => ({ to: A + "/v1/events", event: { id: "e" + n, type: "impression", n } });
  page.storage.setItem("vitrine.outbox", JSON.stringify([entry(1), entry(2)]));
  const { serveBeacons } = await beacons();
  mock.timers.tick(60_000);
  assert.equal(page.posts.length, 0, "no policy yet: nothing sent");
  serveBeacons(build([5, 300, 500]));
  mock.timers.tick(300);
  await settled();
  assert.deepEqual(page.posts.map((p) => p.events.map((event) => event.id)), [["e1", "e2"]]);
  assert.deepEqual(stored(), []);
});

test("an outbox that is not a list (or not JSON) is read as empty", async () => {
  for (const left of ['{"to":"x"}', "not json"]) {
    page.storage.setItem("vitrine.outbox", left);
    const { track } = await beacons();
    track(host(), { platform: A, placement: "p" }, "impression", { n: 1 });
    assert.deepEqual(stored().map((entry) => entry.event.n), [1], left);
  }
});

test("leaving the page beacons every event not yet beaconed, by collector and in batches, and keeps them until a fetch is acknowledged", async () => {
  const { track, serveBeacons, beaconOnLeave } = await beacons();
  beaconOnLeave();
  serveBeacons(build([2, 1000, 500]));
  page.answer = () => new Promise(() => {}); // the first POST never comes back
  const element = host();
  for (const [to, n] of [[A, 1], [B, 2], [A, 3], [A, 4], [A, 5]]) track(element, { platform: to, placement: "p" }, "impression", { n });
  const sentBeacons = async () => Promise.all(page.beacons.splice(0).map(async ({ to, blob }) => {
    assert.equal(blob.type, "text/plain");
    return [to, JSON.parse(await blob.text()).map((event) => event.n)];
  }));

  page.fire("window", "pagehide");
  assert.deepEqual(await sentBeacons(), [
    [A + "/v1/events", [1, 3]], [A + "/v1/events", [4, 5]], [B + "/v1/events", [2]],
  ]);
  document.visibilityState = "hidden";
  page.fire("document", "visibilitychange");
  assert.deepEqual(await sentBeacons(), [], "pagehide and visibilitychange both come on leaving: one beacon each");
  assert.equal(stored().length, 5, "beaconed events stay in the outbox");

  // Back on the page, then hidden again: everything still unacknowledged goes again.
  document.visibilityState = "visible";
  page.fire("document", "visibilitychange");
  track(element, { platform: B, placement: "p" }, "click", { n: 6 });
  document.visibilityState = "hidden";
  page.fire("document", "visibilitychange");
  assert.deepEqual(await sentBeacons(), [
    [A + "/v1/events", [1, 3]], [A + "/v1/events", [4, 5]], [B + "/v1/events", [2, 6]],
  ]);
});

test("leaving the page counts the viewable impressions already due first, so they go in the beacons", async (t) => {
  const { track, serveBeacons, beaconOnLeave } = await beacons();
  const { watchViewable } = await import("../../pkg-template/viewability.js");
  beaconOnLeave();
  serveBeacons(build([20, 60_000, 500]));
  let now = 50_000;
  t.mock.method(performance, "now", () => now);
  let report;
  setGlobal("IntersectionObserver", class {
    constructor(callback) { report = callback; }
    observe() {}
    disconnect() {}
  });
  Object.assign(document, { removeEventListener() {} });
  const element = host();
  watchViewable(element, () => track(element, { platform: A, placement: "p" }, "viewable_impression", {}));
  report([{ intersectionRatio: 1, time: now }]);
  now += 1500; // in view for a second and a half; the page is too busy to have run the timer
  page.fire("window", "pagehide");
  const [beacon] = page.beacons;
  assert.deepEqual(JSON.parse(await beacon.blob.text()).map((event) => event.type), ["viewable_impression"]);
});
