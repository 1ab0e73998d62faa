// End-to-end: hostile host pages (www/test/hostile-*.html). Whatever the page
// does before or around the SDK (defines the SDK's element names, loads it
// twice, replaces built-ins, unsets every style, runs right to left, points
// its base URL elsewhere, requires Trusted Types), each card either renders
// correctly or falls back cleanly (the fallback in its own box, one console
// warning, a render_error beacon) or gives its space back with one warning,
// and the host page keeps working: nothing thrown into it, its own script
// and content alive.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ARTIFACTS, BASE, open } from "./helpers.mjs";

const MUG = "手作粗陶马克杯 350ml 哑光釉 可进洗碗机";
const MUG_BUY = /^https:\/\/item\.taobao\.com\/item\.htm\?id=624519851234&vt_click=[0-9a-f]{32}&vt_creator=cr_linxiaoman&vt_placement=127\.0\.0\.1$/;
const UNKNOWN = "vitrine: item itm_unknown is not known to the platform (404)";
const FALLBACK = /这条推荐暂时无法显示/;

/**
 * Opens `path` recording, besides what `open` records, every event the
 * platform's collector was sent (`page.beacons`) and every request
 * (`page.requests`). `route` may add routes of its own first.
 */
async function visit(path, { width = 900, route } = {}) {
  const page = await open(null, { width });
  page.beacons = [];
  page.requests = [];
  page.on("request", (r) => page.requests.push(r.url()));
  await page.route("**/v1/events", (r) => {
    for (const event of JSON.parse(r.request().postData() ?? "[]")) page.beacons.push({ ...event, to: r.request().url() });
    return r.continue();
  });
  if (route) await route(page);
  await page.goto(BASE + path);
  page.read = await isolatedWorld(page);
  return page;
}

/**
 * An evaluator in a world of its own (CDP's isolated world): the same DOM
 * and open shadow roots, but the browser's own built-ins, whatever the page
 * did to its Array.prototype, JSON or fetch (Playwright's page.evaluate
 * runs in the page's world, and its answers go through them).
 */
async function isolatedWorld(page) {
  const cdp = await page.context().newCDPSession(page);
  const { frameTree } = await cdp.send("Page.getFrameTree");
  const { executionContextId } = await cdp.send("Page.createIsolatedWorld", { frameId: frameTree.frame.id, worldName: "reader" });
  return async (fn, arg) => {
    const { result, exceptionDetails } = await cdp.send("Runtime.evaluate", {
      expression: `(${fn})(${JSON.stringify(arg)})`, contextId: executionContextId, returnByValue: true, awaitPromise: true,
    });
    if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
    return result.value;
  };
}

/** What each element shows, read in the isolated world: its state, and for cards what a person sees. */
const read = (page, selectors) => page.read((selectors) => {
  const out = {};
  for (const sel of selectors) {
    const el = document.querySelector(sel);
    const root = el?.shadowRoot;
    // No shadow root, or an empty one: the element gave its space back, or
    // (its box reserved, its code still on the way) is still loading.
    if (!root?.firstElementChild) {
      const reserved = root?.adoptedStyleSheets.length > 0;
      out[sel] = reserved ? { state: "loading" } : { state: "none", height: el?.getBoundingClientRect().height ?? null };
      continue;
    }
    const box = root.firstElementChild;
    const part = (name) => root.querySelector(`[part~="${name}"]`);
    const text = (name) => part(name)?.textContent ?? null;
    const buy = part("buy");
    out[sel] = {
      state: box.dataset.state, busy: box.getAttribute("aria-busy"), children: root.childElementCount,
      title: text("title"), price: text("price"), partner: text("partner"), count: root.querySelector(".count")?.textContent ?? null,
      image: part("image")?.src ?? null, buy: buy && { href: buy.href || null, disabled: buy.getAttribute("aria-disabled") },
      follow: part("follow")?.href ?? null, fallback: part("fallback")?.innerText ?? null,
      box: box.getBoundingClientRect().toJSON(),
    };
  }
  return out;
}, selectors);

/** Waits until no element in `selectors` is still loading (a skeleton forever is a failure); what they show. */
async function settle(page, selectors, ms = 8000) {
  const end = Date.now() + ms;
  let seen;
  while (Date.now() < end) {
    seen = await read(page, selectors);
    // (A strip that does not know yet whether it has anything to show is "deciding".)
    const loading = Object.values(seen).filter((s) => s.state === "loading" || s.state === "deciding" || s.busy === "true");
    if (!loading.length) return seen;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail("still loading after " + ms + " ms: " + JSON.stringify(seen));
}

/** Waits until the collector was sent an event matching `match`; all such events. */
async function beacon(page, match, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const found = page.beacons.filter(match);
    if (found.length) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail("no such event was sent: " + match + "\nsent: " + JSON.stringify(page.beacons.map((e) => e.type + " " + (e.item ?? e.reason ?? ""))));
}

/** The host page still works: nothing was thrown into it, and its own script still answers. */
async function hostIntact(page) {
  assert.deepEqual(page.errors, [], "nothing is thrown into the host page");
  await page.click("#own-button");
  assert.equal(await page.read(() => document.getElementById("own").textContent), "clicked 1", "the page's own script works");
}

/** The good mug card as it should look, wherever it is. */
function assertMug(card, label = "") {
  assert.equal(card.state, "ready", label);
  assert.equal(card.title, MUG, label);
  assert.equal(card.price, "¥89.00", label);
  assert.equal(card.partner, "淘宝", label);
  assert.equal(card.image, BASE + "/media/mug.svg", label);
  assert.match(card.buy.href ?? "", MUG_BUY, label);
}

/** The unknown item's card: the fallback in its own box, and its render_error beacon. */
async function assertFallback(page, card, label = "") {
  assert.equal(card.state, "error", label);
  assert.match(card.fallback, FALLBACK, label);
  await beacon(page, (e) => e.type === "render_error" && e.reason === UNKNOWN.slice("vitrine: ".length));
}

const shot = (page, name) => page.screenshot({ path: `${ARTIFACTS}/hostile-${name}.png`, fullPage: true });

test("a page that defines <vitrine-card>, <vitrine-follow> and <vitrine-proof> itself keeps its own; mountCard still works", async () => {
  const page = await visit("/test/hostile-elements.html");
  // The SDK has run (this is the very module instance the page's tag loaded).
  await page.evaluate(() => import("/pkg/vitrine.js").then(() => true));
  const theirs = await page.read(() => [...document.querySelectorAll("#stage > *")].map((el) =>
    `${el.localName} own=${el.dataset.own} root=${!!el.shadowRoot} text=${el.textContent}`));
  assert.deepEqual(theirs, [
    "vitrine-card own=yes root=false text=the page's own <vitrine-card>",
    "vitrine-follow own=yes root=false text=the page's own <vitrine-follow>",
    "vitrine-proof own=yes root=false text=the page's own <vitrine-proof>",
  ], "the page's elements are left alone");
  await page.evaluate(async () => {
    const { mountCard } = await import("/pkg/vitrine.js");
    for (const [id, itemId] of [["api-good", "itm_ceramic_mug"], ["api-bad", "itm_unknown"]]) {
      const el = document.createElement("div");
      el.id = id;
      document.getElementById("stage").append(el);
      mountCard(el, { itemId });
    }
  });
  const seen = await settle(page, ["#api-good", "#api-bad"]);
  assertMug(seen["#api-good"]);
  await assertFallback(page, seen["#api-bad"]);
  assert.equal(seen["#api-bad"].box.height, seen["#api-good"].box.height, "the fallback keeps the card's box");
  assert.deepEqual(page.warnings, [UNKNOWN]);
  await shot(page, "elements");
  await hostIntact(page);
  await page.close();
});

test("the SDK loaded twice, and a second copy under another URL: each element renders once, each event is sent once", async () => {
  const page = await visit("/test/hostile-twice.html");
  // The second copy's own API, next to the first copy's elements.
  await page.evaluate(async () => {
    const { mountCard } = await import("/pkg/vitrine.js?v=2");
    const el = document.createElement("div");
    el.id = "second";
    document.getElementById("stage").append(el);
    mountCard(el, { itemId: "itm_linen_tote" });
  });
  const seen = await settle(page, ["#good", "#bad", "#follow", "#second"]);
  assertMug(seen["#good"]);
  await assertFallback(page, seen["#bad"]);
  assert.equal(seen["#second"].state, "ready");
  assert.equal(seen["#follow"].state, "follow");
  for (const [sel, s] of Object.entries(seen)) assert.equal(s.children, 1, sel + " is drawn once");
  assert.equal(await page.read(() => document.querySelector("#good").shadowRoot.adoptedStyleSheets.length), 1, "one stylesheet");
  assert.deepEqual(page.warnings, [UNKNOWN], "one warning, not one per copy");
  await beacon(page, (e) => e.type === "impression" && e.item === "itm_linen_tote");
  await beacon(page, (e) => e.type === "impression" && e.item === "itm_ceramic_mug");
  await page.waitForTimeout(1500); // a second copy's duplicate would be batched by now
  const count = (type, item) => page.beacons.filter((e) => e.type === type && (e.item ?? null) === item).length;
  assert.equal(count("impression", "itm_ceramic_mug"), 1);
  assert.equal(count("impression", "itm_linen_tote"), 1);
  assert.equal(count("render_error", null), 1);
  assert.equal(new Set(page.beacons.map((e) => e.id)).size, page.beacons.length, "no event sent twice");
  await shot(page, "twice");
  await hostIntact(page);
  await page.close();
});

// Built-ins replaced by the page before the SDK loads (www/test/hostile-intrinsics.js).
// What each leaves of the page's two cards and follow button:
//   renders   everything as on a plain page, and the beacons go out;
//   falls back  both cards show the fallback, the button its error state,
//             one warning each (`warnings`);
//   nothing   every element gives its space back, with `warning` once per
//             element, or once (`once`) when the SDK's wasm could not load.
// `extra` is what else the console is told; `beacons: false` where the page
// took the means of sending them (its JSON.stringify, its fetch).
const ATTACH = "vitrine: TypeError: the page's own attachShadow refuses";
const PATCHED_BEFORE = {
  "map-throws": { renders: true },
  "map-lies": { renders: true },
  "forEach-throws": { renders: true },
  "forEach-lies": { renders: true },
  "push-throws": { renders: true },
  "push-lies": { renders: true },
  "includes-throws": { renders: true },
  "includes-lies": { renders: true },
  // The host's DOM events carry the event parsed: each one warned about.
  "JSON.parse-throws": { renders: true, extra: /^vitrine: TypeError: the page's own JSON\.parse refuses$/ },
  "JSON.parse-lies": { renders: true },
  // The beacons' events are written as JSON: with the page's, none can be.
  "JSON.stringify-throws": { renders: true, beacons: false, extra: /^vitrine: TypeError: the page's own JSON\.stringify refuses$/ },
  "JSON.stringify-lies": { renders: true, beacons: false },
  "fetch-throws": { nothing: true, once: "vitrine: the SDK's WebAssembly could not be loaded (TypeError: the page's own fetch refuses)" },
  // The page's mock answers the API with {}: nothing valid to show, said once per element
  // (its render_error beacons go to the mock too).
  "fetch-lies": { fallsBack: true, warnings: [
    "vitrine: item.id must be an id of 1 to 64 letters, digits, '_' or '-'",
    "vitrine: item.id must be an id of 1 to 64 letters, digits, '_' or '-'",
    "vitrine: creator.id must be an id of 1 to 64 letters, digits, '_' or '-'",
  ] },
  "attachShadow-throws": { nothing: true, warning: ATTACH },
  "attachShadow-lies": { nothing: true, warning: "vitrine: Error: the page's attachShadow gave no open shadow root; nothing is shown" },
};

// A few pages at a time (each waits for its beacons' batch).
test("built-ins the page replaced before the SDK loaded", { concurrency: 3 }, async (t) => {
  await Promise.all(Object.entries(PATCHED_BEFORE).map(([patch, expect]) => t.test(`${patch.replace("-", " (")})`, { todo: expect.todo }, async () => {
    const page = await visit("/test/hostile-intrinsics.html?patch=" + patch);
    const seen = await settle(page, ["#good", "#bad", "#follow"]);
    assert.equal(await page.read(() => document.documentElement.dataset.patched), patch, "the page did patch");
    const warnings = page.warnings.filter((w) => !expect.extra?.test(w));
    if (expect.renders) {
      assertMug(seen["#good"]);
      assert.equal(seen["#bad"].state, "error");
      assert.match(seen["#bad"].fallback, FALLBACK);
      assert.equal(seen["#follow"].state, "follow");
      assert.equal(seen["#follow"].count, "12.8万 位关注者");
      assert.deepEqual(warnings, [UNKNOWN]);
      if (expect.beacons !== false) {
        await beacon(page, (e) => e.type === "render_error" && e.reason === UNKNOWN.slice(9));
        await beacon(page, (e) => e.type === "impression" && e.item === "itm_ceramic_mug");
      }
    } else if (expect.fallsBack) {
      for (const sel of ["#good", "#bad"]) {
        assert.equal(seen[sel].state, "error", sel);
        assert.match(seen[sel].fallback, FALLBACK, sel);
      }
      assert.equal(seen["#follow"].state, "error");
      assert.deepEqual(warnings.toSorted(), expect.warnings.toSorted(), "one warning per element");
    } else {
      for (const sel of ["#good", "#bad", "#follow"]) assert.deepEqual(seen[sel], { state: "none", height: 0 }, sel + " gives its space back");
      assert.deepEqual(warnings, expect.once ? [expect.once] : [expect.warning, expect.warning, expect.warning], "one warning per element, or once");
    }
    await shot(page, "intrinsics-" + patch);
    await hostIntact(page);
    await page.close();
  })));
});

// Replaced after the SDK loaded and mounted the page's cards (as a tag
// manager injected later would), then one more card is added (#later): the
// SDK keeps working with the built-ins it took as it loaded.
for (const kind of ["throws", "lies"]) {
  const names = ["forEach", "includes", "JSON.parse", "JSON.stringify", "fetch", "attachShadow"];
  test(`a page that replaced ${names.join(", ")} (${kind}) after the SDK loaded`, async () => {
    const patches = names.map((name) => name + "-" + kind).join(",");
    const page = await visit("/test/hostile-intrinsics.html?when=later&patch=" + patches);
    const seen = await settle(page, ["#good", "#bad", "#follow", "#later"]);
    assert.equal(await page.read(() => document.documentElement.dataset.patched), patches, "the page did patch");
    assertMug(seen["#good"]);
    assert.equal(seen["#bad"].state, "error");
    assert.equal(seen["#follow"].count, "12.8万 位关注者");
    // The later card asks for its item through the page's fetch (it was
    // not taken as the SDK loaded): a lie is validated like any answer.
    if (kind === "lies") {
      assert.equal(seen["#later"].state, "error");
      assert.deepEqual(page.warnings.toSorted(), [UNKNOWN, "vitrine: item.id must be an id of 1 to 64 letters, digits, '_' or '-'"].toSorted());
    } else {
      assert.equal(seen["#later"].state, "error", "the page's fetch refused its request");
      assert.deepEqual(page.warnings.toSorted(), [UNKNOWN, "vitrine: the platform could not be reached at " + BASE + "/v1/items/itm_linen_tote"].toSorted());
    }
    // Every event still goes out, through the fetch the SDK took.
    await beacon(page, (e) => e.type === "render_error" && e.reason === UNKNOWN.slice(9));
    await beacon(page, (e) => e.type === "impression" && e.item === "itm_ceramic_mug");
    await beacon(page, (e) => e.type === "viewable_impression" && e.item === "itm_ceramic_mug");
    await shot(page, "intrinsics-later-" + kind);
    await hostIntact(page);
    await page.close();
  });
}

/** Each part's size and look (not its place: an RTL page puts the card on its right). */
const looks = (page, sel) => page.read((sel) => {
  const root = document.querySelector(sel).shadowRoot;
  const out = {};
  for (const name of ["card", "image", "title", "reason", "creator", "price", "stock", "buy", "follow"]) {
    const el = root.querySelector(`[part~=${name}]`);
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    out[name] = { w: r.width, h: r.height, font: cs.font, color: cs.color, dir: cs.direction, align: cs.textAlign, ls: cs.letterSpacing };
  }
  return out;
}, sel);

test("a page with * { all: unset !important }: the card keeps its looks and its box, the fallback its size", async () => {
  const page = await visit("/test/hostile-unset.html", { width: 360 });
  const seen = await settle(page, ["#good", "#bad", "#follow"]);
  assertMug(seen["#good"]);
  await assertFallback(page, seen["#bad"]);
  assert.equal(seen["#bad"].box.height, seen["#good"].box.height, "the fallback keeps the card's box");
  assert.equal(seen["#follow"].state, "follow");
  assert.deepEqual(page.warnings, [UNKNOWN]);
  await shot(page, "unset");
  // The page's reset reaches the host element itself (it is in the page's
  // tree); at the same width, the card inside looks as on a plain page.
  const plain = await visit("/test/neutral.html", { width: 360 });
  await settle(plain, ["vitrine-card"]);
  const [hostile, neutral] = [await looks(page, "#good"), await looks(plain, "vitrine-card")];
  for (const look of [hostile, neutral]) for (const part of Object.values(look)) delete part.w;
  assert.deepEqual(hostile, neutral);
  await hostIntact(page);
  await plain.close();
  await page.close();
});

test("a right-to-left page (<html dir=rtl>): the card reads left to right, as on a plain page", async () => {
  const page = await visit("/test/hostile-rtl.html");
  const seen = await settle(page, ["#good", "#bad", "#follow"]);
  assertMug(seen["#good"]);
  await assertFallback(page, seen["#bad"]);
  assert.equal(seen["#follow"].state, "follow");
  assert.deepEqual(page.warnings, [UNKNOWN]);
  const plain = await visit("/test/neutral.html");
  await settle(plain, ["vitrine-card"]);
  const hostile = await looks(page, "#good");
  assert.equal(hostile.card.dir, "ltr");
  assert.deepEqual(hostile, await looks(plain, "vitrine-card"));
  // The page itself is still right to left, the card on its right.
  const place = await page.read(() => ({ dir: getComputedStyle(document.body).direction,
    right: document.querySelector("#good").getBoundingClientRect().right, width: document.documentElement.clientWidth }));
  assert.equal(place.dir, "rtl");
  assert.ok(place.width - place.right < 40, "the card sits at the page's start, on the right: " + JSON.stringify(place));
  await shot(page, "rtl");
  await hostIntact(page);
  await plain.close();
  await page.close();
});

test("a page whose <base href> is another origin: the card's links, pictures and requests are the platform's", async () => {
  const page = await visit("/test/hostile-base.html", {
    route: async (p) => {
      // The platform serves every page with `base-uri 'none'`, under which
      // the browser ignores a <base>; this page's own policy allows it.
      await p.route("**/test/hostile-base.html", async (route) => {
        const response = await route.fetch();
        const headers = { ...response.headers() };
        headers["content-security-policy"] = headers["content-security-policy"].replace("base-uri 'none'", "base-uri *");
        await route.fulfill({ response, headers });
      });
      await p.route("https://elsewhere.example/**", (route) => route.abort());
    },
  });
  assert.equal(await page.read(() => document.baseURI), "https://elsewhere.example/", "the page's base is elsewhere");
  assert.equal(await page.read(() => document.getElementById("own-link").href), "https://elsewhere.example/about.html");
  const seen = await settle(page, ["#good", "#bad", "#follow", "#proof"]);
  assertMug(seen["#good"]);
  await assertFallback(page, seen["#bad"]);
  assert.equal(seen["#follow"].state, "follow");
  assert.ok(seen["#good"].follow.startsWith(BASE + "/intent/follow?"), seen["#good"].follow);
  assert.deepEqual(page.warnings, [UNKNOWN]);
  await page.waitForFunction(() => document.querySelector("#proof").shadowRoot?.querySelector(".proof")?.dataset.state === "ready");
  // Every URL in every element, as the browser resolves it.
  const urls = await page.read(() => [...document.querySelectorAll("#stage > *")].flatMap((el) =>
    [...el.shadowRoot.querySelectorAll("[href], [src]")].map((n) => n.href || n.src)));
  assert.ok(urls.length > 10, urls.join("\n"));
  const stray = urls.filter((u) => !u.startsWith(BASE + "/") && !/^https:\/\/(item\.taobao|detail\.tmall)\.com\//.test(u));
  assert.deepEqual(stray, [], "no URL resolved against the page's base");
  // The SDK asked nothing of the other origin, and its beacons went to the platform.
  assert.deepEqual(page.requests.filter((u) => /^https:\/\/elsewhere\.example\/(v1|pkg|media|intent)\//.test(u)), []);
  assert.ok(page.beacons.every((e) => e.to === BASE + "/v1/events"), page.beacons.map((e) => e.to).join("\n"));
  // The follow popup opens on the platform.
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.locator("#good").locator("[part=follow]").click()]);
  assert.ok(popup.url().startsWith(BASE + "/intent/follow?"), popup.url());
  await popup.close();
  await shot(page, "base");
  await hostIntact(page);
  await page.close();
});

test("a page that requires Trusted Types: every element renders with no policy violation", async () => {
  const page = await visit("/test/hostile-tt.html");
  const seen = await settle(page, ["#good", "#bad", "#follow"]);
  assertMug(seen["#good"]);
  await assertFallback(page, seen["#bad"]);
  assert.equal(seen["#follow"].state, "follow");
  await page.waitForFunction(() => document.querySelector("#proof").shadowRoot?.querySelector(".proof")?.dataset.state === "ready");
  assert.deepEqual(page.warnings, [UNKNOWN]);
  assert.equal(await page.read(() => document.documentElement.dataset.violations ?? ""), "");
  assert.deepEqual(page.consoleErrors.filter((e) => !/status of 404/.test(e)), []);
  await shot(page, "trusted-types");
  // The page does enforce them: a plain string into innerHTML is refused (and seen).
  assert.equal(await page.evaluate(() => {
    try {
      document.createElement("div").innerHTML = "<b>x</b>";
      return "allowed";
    } catch (e) {
      return e.name;
    }
  }), "TypeError");
  assert.match(await page.read(() => document.documentElement.dataset.violations), /^require-trusted-types-for trusted-types-sink /);
  await hostIntact(page);
  await page.close();
});
