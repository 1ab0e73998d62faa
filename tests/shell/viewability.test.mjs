// Viewability's glue: what the shell observes (intersections with the
// browser's time, the tab's visibility, its timer, the page hiding) goes to
// the core's rule (vitrine_core::viewable, whose decisions
// core/src/viewable.rs and core/tests/beacons.rs test), faked here by a
// build that records what it is told and answers as a test says; and what
// the shell does with the answers (a timer, the event once, stop).
import { test, mock, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { setGlobal, shipped } from "./fake.mjs";

// As shipped: the intersection thresholds carry the core's share in view.
const { watchViewable, settleAll } = await shipped("viewability.js");

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
      assert.deepEqual(options, { threshold: [0, 0.5] }, "crossing nothing, and crossing the core's share");
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

/** A build whose rule answers `answer(state, time, visible, ratio)`, recording what it is told. */
function core(answer) {
  const told = [];
  return {
    told,
    viewable(state, time, visible, ratio) {
      told.push([state, time, visible, ratio]);
      return answer(state, time, visible, ratio);
    },
  };
}

function watch(wasm) {
  const seen = [];
  const stop = watchViewable({}, wasm, () => seen.push(page.now));
  return { seen, stop };
}

test("each intersection goes to the core with the browser's time for it, the share in view and the tab's visibility, with the state it answered last", () => {
  const wasm = core((state, time, visible, ratio) => (ratio >= 0.5 ? time + 1000 : -2));
  watch(wasm);
  page.report(0.3, 9_400); // computed a while ago, reported late by a busy page
  page.show("hidden");
  page.report(0.7);
  assert.deepEqual(wasm.told, [
    [undefined, 9_400, true, 0.3],
    [-2, 10_000, false, -1],
    [-2, 10_000, false, 0.7],
  ]);
});

test("a time is when to look again: a timer then tells the core nothing new at the clock's time; each answer replaces the last timer", () => {
  let deadline = 11_000;
  const wasm = core((state, time) => (time >= deadline ? -2 : deadline));
  watch(wasm);
  page.report(1);
  page.wait(600);
  deadline = 12_000;
  page.report(1); // still in view: the core's answer moves the timer
  page.wait(399);
  assert.equal(wasm.told.length, 2, "the first timer is gone");
  page.wait(1000);
  assert.equal(wasm.told.length, 2);
  page.wait(1);
  assert.deepEqual(wasm.told[2], [12_000, 12_000, true, -1], "woken at the core's time");
});

test("-1 is viewable: onViewable once, and the watch neither observes nor listens any more", () => {
  const wasm = core((state, time) => (time >= 11_000 ? -1 : 11_000));
  const { seen } = watch(wasm);
  page.report(1);
  page.wait(999);
  assert.deepEqual(seen, []);
  page.wait(1);
  assert.deepEqual(seen, [11_000]);
  const told = wasm.told.length;
  page.report(0);
  page.report(1);
  page.show("hidden");
  settleAll();
  page.wait(5000);
  assert.equal(seen.length, 1, "once");
  assert.equal(wasm.told.length, told, "nothing more reaches the core");
  assert.equal(page.observers[0].watching.size, 0, "and then no longer observed");
  assert.equal(page.listeners.size, 0);
});

test("the tab's visibility changing, and the page hiding (settleAll, before the beacons go), tell the core nothing new at the clock's time", () => {
  const wasm = core(() => 20_000);
  const other = core(() => -1);
  watch(wasm);
  const second = watch(other);
  page.now = 10_500;
  settleAll();
  assert.deepEqual(wasm.told, [[undefined, 10_500, true, -1]]);
  assert.deepEqual(second.seen, [10_500], "a second already seen counts as the page hides");
  page.now = 10_700;
  page.show("hidden");
  assert.deepEqual(wasm.told.at(-1), [20_000, 10_700, false, -1]);
});

test("not counting at first, the element is observed afresh a frame later, once (Chromium can miss a scroll in between)", () => {
  watch(core(() => -2));
  const [observer] = page.observers;
  page.report(0);
  assert.equal(observer.observed, 1);
  page.frame();
  assert.equal(observer.observed, 2);
  page.report(0);
  page.frame();
  assert.equal(observer.observed, 2, "only the first look");
  watch(core(() => 11_000));
  page.report(1);
  page.frame();
  assert.equal(page.observers[1].observed, 1, "counting at once: no second look");
});

test("stopped before that frame, or at any time, the watch observes nothing more and counts nothing", () => {
  const { seen, stop } = watch(core(() => -2));
  const [observer] = page.observers;
  page.report(0);
  stop();
  page.frame();
  assert.equal(observer.watching.size, 0, "not observed again after stop");
  const wasm = core((state, time) => (time >= 11_500 ? -1 : 11_500));
  const second = watch(wasm);
  page.report(1);
  page.wait(500);
  second.stop();
  page.wait(1000);
  settleAll();
  assert.deepEqual([seen, second.seen], [[], []]);
  assert.equal(wasm.told.length, 1);
  assert.equal(page.listeners.size, 0);
});

test("a core that throws is warned about; the watch waits for what comes next", (t) => {
  const warn = t.mock.method(console, "warn", () => {});
  let fail = true;
  const { seen } = watch({ viewable: () => { if (fail) throw new Error("trapped"); return -1; } });
  page.report(1);
  assert.match(warn.mock.calls[0].arguments[0], /^vitrine: Error: trapped/);
  fail = false;
  page.report(1);
  assert.deepEqual(seen, [10_000]);
});
