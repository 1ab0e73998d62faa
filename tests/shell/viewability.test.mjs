// A viewable impression: half the element in view for one continuous second
// of a visible page, timed from when the browser computed the intersection.
import { test, mock, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { setGlobal } from "./fake.mjs";
import { watchViewable, settleAll } from "../../pkg-template/viewability.js";

let page;
beforeEach((t) => {
  mock.timers.enable({ apis: ["setTimeout"] });
  const listeners = new Set();
  page = {
    now: 10_000,
    observers: [],
    frames: [],
    listeners,
    /** The browser reports `ratio` of the element in view, computed at `time` (default now). */
    report(ratio, time = page.now) {
      for (const observer of page.observers) if (observer.watching.size) observer.callback([{ intersectionRatio: ratio, time }]);
    },
    /** Time passes (timers run, and `performance.now()` moves with them). */
    wait(ms) {
      page.now += ms;
      mock.timers.tick(ms);
    },
    show(visibility) {
      document.visibilityState = visibility;
      for (const listener of [...listeners]) listener();
    },
    frame() {
      for (const frame of page.frames.splice(0)) frame();
    },
  };
  t.mock.method(performance, "now", () => page.now);
  setGlobal("document", {
    visibilityState: "visible",
    addEventListener: (type, listener) => type === "visibilitychange" && listeners.add(listener),
    removeEventListener: (type, listener) => type === "visibilitychange" && listeners.delete(listener),
  });
  setGlobal("requestAnimationFrame", (frame) => page.frames.push(frame));
  setGlobal("IntersectionObserver", class {
    constructor(callback, options) {
      assert.deepEqual(options, { threshold: [0, 0.5] });
      this.callback = callback;
      this.watching = new Set();
      this.observed = 0;
      page.observers.push(this);
    }
    observe(element) {
      this.watching.add(element);
      this.observed++;
    }
    unobserve(element) {
      this.watching.delete(element);
    }
    disconnect() {
      this.watching.clear();
    }
  });
});
afterEach(() => mock.timers.reset());

function watch() {
  const seen = [];
  const stop = watchViewable({}, () => seen.push(page.now));
  return { seen, stop };
}

test("viewable after one second with at least half in view, once", () => {
  const { seen } = watch();
  page.report(0.5);
  page.wait(999);
  assert.deepEqual(seen, []);
  page.wait(1);
  assert.deepEqual(seen, [11_000]);
  page.report(0);
  page.report(1);
  page.wait(5000);
  assert.equal(seen.length, 1, "once");
  assert.equal(page.observers[0].watching.size, 0, "and then no longer observed");
  assert.equal(page.listeners.size, 0);
});

test("the second is timed from the intersection's time, not from the callback's", () => {
  const { seen } = watch();
  page.report(1, page.now - 600); // computed 600 ms ago, reported late by a busy page
  page.wait(400);
  assert.deepEqual(seen, [10_400]);
});

test("the second must be continuous: leaving view (under half) starts over", () => {
  const { seen } = watch();
  page.report(1);
  page.wait(700);
  page.report(0.4);
  page.wait(700);
  page.report(0.6);
  page.wait(999);
  assert.deepEqual(seen, []);
  page.wait(1);
  assert.equal(seen.length, 1);
});

test("time counted before the tab was hidden is lost too when the element leaves view", () => {
  const { seen } = watch();
  page.report(1);
  page.wait(600);
  page.show("hidden");
  page.show("visible");
  page.report(0);
  page.report(1);
  page.wait(500);
  assert.deepEqual(seen, [], "600 ms, then out of view, then 500 ms: no second");
  page.wait(500);
  assert.equal(seen.length, 1);
});

test("time with the tab hidden does not count; the clock runs again when it is visible", () => {
  const { seen } = watch();
  page.report(1);
  page.wait(600);
  page.show("hidden");
  page.wait(5000);
  assert.deepEqual(seen, []);
  page.show("visible");
  page.wait(399);
  assert.deepEqual(seen, []);
  page.wait(1);
  assert.equal(seen.length, 1);
});

test("in view while the tab is hidden: the clock starts when it is shown", () => {
  const { seen } = watch();
  page.show("hidden");
  page.report(1);
  page.wait(3000);
  page.show("visible");
  page.wait(1000);
  assert.deepEqual(seen, [14_000]);
});

test("a page that is leaving counts a second already seen (settleAll, before the beacons go)", () => {
  const { seen } = watch();
  page.report(1);
  mock.timers.tick(0);
  page.now += 1200; // a busy page: the timer has not run yet
  settleAll();
  assert.deepEqual(seen, [11_200]);
  const other = watch();
  page.report(1);
  page.now += 500;
  settleAll();
  assert.deepEqual(other.seen, [], "half a second is not a second");
});

test("out of view at first, the element is observed afresh a frame later, once (Chromium can miss a scroll in between)", () => {
  watch();
  const [observer] = page.observers;
  page.report(0);
  assert.equal(observer.observed, 1);
  page.frame();
  assert.equal(observer.observed, 2);
  page.report(0);
  page.frame();
  assert.equal(observer.observed, 2, "only the first look");
});

test("stopped before that frame, or at any time, the watch observes nothing more and counts nothing", () => {
  const { seen, stop } = watch();
  const [observer] = page.observers;
  page.report(0);
  stop();
  page.frame();
  assert.equal(observer.watching.size, 0, "not observed again after stop");
  const second = watch();
  page.report(1);
  page.wait(500);
  second.stop();
  page.wait(1000);
  settleAll();
  assert.deepEqual([seen, second.seen], [[], []]);
  assert.equal(page.listeners.size, 0);
});
