// A follow control's states (the wasm's rules, faked here), its intent URL,
// the small follow link, and this site's memory of whom the reader follows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeElement, fakeStorage, setGlobal, shipped } from "./fake.mjs";

// As shipped: the intent's parameters are the core's, put in by the build.
const { US } = await shipped("plan.js");
const { followControl, followLink, remembered, plainClick } = await shipped("follow.js");

// The core's steps (byline::step) as the wasm answers them: "key US label".
const STEPS = {
  follow: { 0: "following", 1: "pending" },
  pending: { 2: "following", 3: "follow", 4: "follow" },
  following: {},
};
function fakeWasm() {
  const asked = [];
  return {
    asked,
    followStep(state, event, locale) {
      asked.push([state, event, locale]);
      const key = STEPS[state]?.[event];
      return key ? key + US + key.toUpperCase() + " (" + locale + ")" : "";
    },
  };
}

function control(wasm, { intent = "https://p.example/follow?creator=c1", locale = "en" } = {}) {
  const painted = [];
  const ctl = followControl(() => wasm, () => intent, () => locale, (...args) => painted.push(args));
  return { ctl, painted };
}

test("opening adds this click's nonce and origin to the intent URL, encoded, and paints the pending state with it", () => {
  const wasm = fakeWasm();
  const { ctl, painted } = control(wasm);
  const url = ctl.open("n 1", "https://blog.example");
  assert.equal(url, "https://p.example/follow?creator=c1&nonce=n%201&origin=https%3A%2F%2Fblog.example");
  assert.deepEqual(painted, [["pending", "PENDING (en)", url]]);
  assert.equal(ctl.state(), "pending");
  assert.deepEqual(wasm.asked, [["follow", 1, "en"]]);
});

test("without an intent URL there is nothing to open", () => {
  const { ctl, painted } = control(fakeWasm(), { intent: "" });
  assert.equal(ctl.open("n", "https://blog.example"), "");
  assert.deepEqual(painted, []);
  assert.equal(ctl.state(), "follow");
});

test("the answer moves the control: confirmed following, refused or dismissed back to follow", () => {
  const wasm = fakeWasm();
  const { ctl, painted } = control(wasm);
  ctl.open("n", "o");
  ctl.confirm(true);
  assert.equal(ctl.state(), "following");
  ctl.reset();
  ctl.open("n", "o");
  ctl.confirm(false);
  assert.equal(ctl.state(), "follow");
  ctl.open("n", "o");
  ctl.dismiss();
  assert.equal(ctl.state(), "follow");
  assert.deepEqual(painted.map(([key]) => key), ["pending", "following", "pending", "follow", "pending", "follow"]);
  assert.deepEqual(wasm.asked.map(([, event]) => event), [1, 2, 1, 3, 1, 4]);
});

test("a step the wasm gives no label for changes nothing, and a throwing wasm is only a warning", (t) => {
  const warn = t.mock.method(console, "warn", () => {});
  const wasm = fakeWasm();
  const { ctl, painted } = control(wasm);
  ctl.confirm(true); // not pending: the core has no such step
  assert.equal(ctl.state(), "follow");
  ctl.remembered();
  assert.equal(ctl.state(), "following");
  const broken = control({ followStep() { throw new Error("unreachable"); } });
  assert.doesNotThrow(() => broken.ctl.open("n", "o"));
  assert.equal(broken.ctl.state(), "follow");
  assert.deepEqual(broken.painted, []);
  assert.deepEqual(painted.map(([key]) => key), ["following"]);
  assert.deepEqual(warn.mock.calls.map((call) => call.arguments[0]), ["vitrine: Error: unreachable"]);
});

test("the locale is passed as a string, empty when there is none", () => {
  const wasm = fakeWasm();
  followControl(() => wasm, () => "", () => undefined, () => {}).remembered();
  assert.deepEqual(wasm.asked, [["follow", 0, ""]]);
});

test("reset puts the control in a state without painting (a fresh plan drew it)", () => {
  const { ctl, painted } = control(fakeWasm());
  ctl.reset("following");
  assert.equal(ctl.state(), "following");
  assert.deepEqual(painted, []);
});

test("a follow link shows the label and state, and takes the click's URL when there is one", () => {
  const link = new FakeElement("follow");
  link.href = "https://p.example/follow?creator=c1";
  const paint = followLink(() => link);
  paint("pending", "Waiting…", "https://p.example/follow?creator=c1&nonce=n");
  assert.equal(link.textContent, "Waiting…");
  assert.equal(link.dataset.follow, "pending");
  assert.equal(link.href, "https://p.example/follow?creator=c1&nonce=n");
  paint("following", "Following");
  assert.equal(link.href, "https://p.example/follow?creator=c1&nonce=n", "no URL: the href stays");
  assert.doesNotThrow(() => followLink(() => null)("follow", "Follow"), "no link (not drawn yet): nothing to paint");
});

test("this site remembers a follow by creator; without storage, it remembers nothing", () => {
  const storage = fakeStorage();
  setGlobal("localStorage", storage);
  storage.setItem("vitrine.follow.c1", "1");
  assert.equal(remembered("c1"), true);
  assert.equal(remembered("c2"), false);
  storage.setItem("vitrine.follow.c2", "yes");
  assert.equal(remembered("c2"), false, "only the SDK's own mark counts");
  setGlobal("localStorage", { getItem() { throw new DOMException("denied", "SecurityError"); } });
  assert.equal(remembered("c1"), false);
});

test("a plain click is the main button without a modifier key", () => {
  assert.equal(plainClick({ button: 0 }), true);
  assert.equal(plainClick({ button: 1 }), false);
  for (const key of ["ctrlKey", "metaKey", "shiftKey", "altKey"]) assert.equal(plainClick({ button: 0, [key]: true }), false, key);
});
