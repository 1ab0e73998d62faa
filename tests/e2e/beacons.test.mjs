// End-to-end: attribution beacons. What the report counts is what a person
// did: one viewable impression for a card seen long enough, one click, one
// follow, even when the reader leaves at once or was offline.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE, READER_AGENT, browser, open, reportTotals, signIn, untilReport } from "./helpers.mjs";

const totals = (item) => reportTotals("item=" + item);
const until = (item, ok) => untilReport("item=" + item, ok);

/** Scrolls so that `fraction` of the element is inside the viewport's bottom
 * edge, and returns once a frame shows it (when a person could see it). */
const showFraction = (page, selector, fraction) =>
  page.evaluate(async ([sel, f]) => {
    const box = document.querySelector(sel).getBoundingClientRect();
    window.scrollBy(0, box.top + box.height * f - window.innerHeight);
    for (let frames = 0; frames < 2; frames++) await new Promise(requestAnimationFrame);
  }, [selector, fraction]);

/** Adds a card for `item` far below the fold of the fixtures page. */
const cardBelowFold = (page, id, item) =>
  page.evaluate(([id, item]) => {
    const spacer = document.createElement("div");
    spacer.style.height = "3000px";
    const card = document.createElement("vitrine-card");
    card.id = id;
    card.setAttribute("item", item);
    document.getElementById("stage").append(spacer, card);
  }, [id, item]);

test("seen 1.2 s, bought, followed, left at once: exactly one of each in the report", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route("https://detail.tmall.com/**", (r) => r.fulfill({ contentType: "text/html", body: "<title>store</title>" }));
  const page = await open("/blog.html", { context });
  await page.waitForFunction(() => document.querySelector("#pick-tea").shadowRoot?.querySelector("[part=follow][href]"));
  const before = await totals("itm_oolong_tea");
  await showFraction(page, "#pick-tea", 0.6);
  await page.waitForTimeout(1200);
  const [store] = await Promise.all([context.waitForEvent("page"), page.locator("#pick-tea").locator("[part=buy]").click()]);
  await store.close();
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.locator("#pick-tea").locator("[part=follow]").click()]);
  await popup.getByText("Sign in to follow").click();
  await popup.fill("input[type=email]", "alex@vitrine.demo");
  await popup.fill("input[type=password]", "vitrine-demo");
  await popup.getByRole("button", { name: "登录 · Sign in" }).click();
  await popup.getByRole("button", { name: "关注 · Follow" }).click();
  await page.waitForFunction(() =>
    document.querySelector("#pick-tea").shadowRoot.querySelector("[part=follow]").dataset.follow === "following");
  await page.goto("about:blank"); // away at once: what is queued goes by sendBeacon
  // Every kind must have landed before exactness means anything: the click
  // and the follow may come in another request than the impression.
  const after = await until("itm_oolong_tea", (t) =>
    t.follows > before.follows && t.clicks > before.clicks && t.viewable_impressions > before.viewable_impressions);
  assert.equal(after.viewable_impressions - before.viewable_impressions, 1);
  assert.equal(after.clicks - before.clicks, 1);
  assert.equal(after.follows - before.follows, 1);
  assert.ok(after.impressions - before.impressions >= 1);
  await context.close();
});

test("a card seen for only 0.5 s has no viewable impression; hosts hear the events", async () => {
  const page = await open("/test/fixtures.html");
  await page.evaluate(() => {
    window.__heard = [];
    for (const type of ["impression", "viewable_impression"]) {
      document.addEventListener("vitrine:" + type, (e) => window.__heard.push(type + ":" + e.detail.item));
    }
  });
  await cardBelowFold(page, "brief", "itm_linen_tote");
  await page.waitForFunction(() => window.__heard.includes("impression:itm_linen_tote"));
  await showFraction(page, "#brief", 1);
  await page.waitForTimeout(500);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(1200);
  assert.deepEqual(await page.evaluate(() => window.__heard), ["impression:itm_linen_tote"]);
  await showFraction(page, "#brief", 1);
  await page.waitForFunction(() => window.__heard.includes("viewable_impression:itm_linen_tote"));
  await page.close();
});

test("a second in view reached as the page hides counts, and goes out with the page's last beacon", async () => {
  const page = await open("/test/fixtures.html");
  await page.evaluate(() => {
    window.__heard = [];
    window.__beaconed = [];
    document.addEventListener("vitrine:viewable_impression", (e) => window.__heard.push(e.detail.item));
    const send = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = (url, body) => {
      body.text().then((text) => window.__beaconed.push(...JSON.parse(text).map((e) => e.type + ":" + e.item)));
      return send(url, body);
    };
  });
  await cardBelowFold(page, "leaving", "itm_linen_tote");
  await page.waitForFunction(() => document.querySelector("#leaving").shadowRoot?.querySelector("[data-state=ready]"));
  await showFraction(page, "#leaving", 1);
  await page.waitForTimeout(100); // the intersection reaches the card's watch
  const heardAtHide = await page.evaluate(() => {
    // The page is too busy for the card's timer to run until the second is
    // past; then it hides (as when the reader switches tabs or leaves).
    const until = performance.now() + 1000;
    while (performance.now() < until);
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
    return [...window.__heard];
  });
  assert.deepEqual(heardAtHide, ["itm_linen_tote"]);
  await page.waitForFunction(() => window.__beaconed.length > 0);
  assert.ok((await page.evaluate(() => window.__beaconed)).includes("viewable_impression:itm_linen_tote"));
  await page.close();
});

test("offline, then back: every event arrives, each once", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await open(null, { context });
  await context.route("**/v1/events", (route) => route.abort());
  await context.addInitScript(() => {
    window.__viewable = 0;
    document.addEventListener("vitrine:viewable_impression", () => (window.__viewable += 1));
  });
  const before = await totals("itm_ceramic_mug");
  await page.goto(BASE + "/blog.html");
  await page.waitForFunction(() => document.querySelector("#pick-mug").shadowRoot?.querySelector("[data-state=ready]"));
  await page.waitForTimeout(2500); // viewable, and a failed send or two
  const kept = await page.evaluate(() => JSON.parse(localStorage.getItem("vitrine.outbox") ?? "[]").length);
  assert.ok(kept >= 2, `the outbox keeps what could not be sent (${kept})`);
  await context.unroute("**/v1/events");
  await page.reload();
  await page.waitForFunction(() => window.__viewable >= 1);
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("vitrine.outbox") ?? "[]").length === 0, null, { timeout: 15_000 });
  await page.goto("about:blank");
  const after = await until("itm_ceramic_mug", (t) => t.impressions - before.impressions >= 2);
  assert.equal(after.impressions - before.impressions, 2, "one per page view, none doubled");
  assert.equal(after.viewable_impressions - before.viewable_impressions, 2);
  await context.close();
});

test("consent denied sends nothing", async () => {
  const context = await browser.newContext();
  const page = await open(null, { context });
  let posts = 0;
  await context.route("**/v1/events", (route) => {
    posts += 1;
    return route.continue();
  });
  await page.goto(BASE + "/test/fixtures.html");
  await page.evaluate(() => {
    const card = document.createElement("vitrine-card");
    card.setAttribute("item", "itm_linen_tote");
    card.setAttribute("consent", "denied");
    document.getElementById("stage").append(card);
  });
  await page.waitForTimeout(2500);
  assert.equal(posts, 0);
  assert.equal(await page.evaluate(() => localStorage.getItem("vitrine.outbox")), null);
  await context.close();
});

test("the dashboard is the creator's own, and shows a new event within a second", async () => {
  const page = await open("/dashboard?creator=cr_mayachen");
  assert.equal(new URL(page.url()).pathname, "/signin", "a reader is asked to sign in first");
  await signIn(page, "maya@vitrine.demo", "/dashboard?creator=cr_mayachen");
  await page.waitForFunction(() => document.getElementById("status").dataset.live !== undefined);
  await page.waitForFunction(() => document.getElementById("dashboard").dataset.updated);
  const shown = () => page.evaluate(() => Number(document.querySelector("[data-total=impressions]").textContent));
  const hex = () => crypto.randomUUID().replaceAll("-", "");
  const latencies = [];
  for (let i = 0; i < 5; i++) {
    const before = await shown();
    const event = {
      id: hex(), type: "impression", item: "itm_nc_headphones", creator: "cr_mayachen", placement: "dashboard-test",
      page: "https://blog.example/gear", ts: Date.now(), sdk: "0.1.0", view: hex(),
    };
    const sent = Date.now();
    const response = await fetch(`${BASE}/v1/events`, {
      method: "POST", body: JSON.stringify([event]), headers: { "content-type": "text/plain", "user-agent": READER_AGENT },
    });
    assert.equal(response.status, 202);
    await page.waitForFunction((n) => Number(document.querySelector("[data-total=impressions]").textContent) === n, before + 1, { timeout: 5000 });
    latencies.push(Date.now() - sent);
  }
  latencies.sort((a, b) => a - b);
  const median = latencies[2];
  console.log(`event → dashboard: median ${median} ms (${latencies.join(", ")})`);
  assert.ok(median <= 1000, `median ${median} ms`);
  // Invalid traffic is shown beside the counted numbers, by rule.
  const filtered = await page.evaluate(() => [...document.querySelectorAll("[data-filtered]")].map((dd) => [dd.dataset.filtered, dd.textContent]));
  assert.deepEqual(filtered.map(([reason]) => reason), ["total", "no_impression", "repeat_click", "bot", "view_rate"]);
  assert.ok(filtered.every(([, n]) => /^\d+$/.test(n)), JSON.stringify(filtered));
  const placements = await page.evaluate(() => [...document.querySelectorAll("#by-placement td:first-child")].map((td) => td.textContent));
  assert.ok(placements.includes("dashboard-test"));
  assert.ok(await page.evaluate(() => document.querySelectorAll("#chart polyline").length === 3));
  await page.screenshot({ path: process.env.VITRINE_ARTIFACTS + "/dashboard.png", fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("a batch committed but unanswered (a collector restart) is retried and still counted once", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  let delivered = 0;
  await context.route("**/v1/events", async (route) => {
    if (delivered++ === 0) {
      // The collector stores the batch, then its answer is lost.
      await route.fetch();
      return route.abort("connectionreset");
    }
    return route.continue();
  });
  const before = await totals("itm_film_camera");
  const page = await open(null, { context });
  await page.goto(BASE + "/test/fixtures.html");
  await page.evaluate(() => {
    const card = document.createElement("vitrine-card");
    card.setAttribute("item", "itm_film_camera");
    card.setAttribute("placement", "restart-test");
    document.getElementById("stage").append(card);
  });
  // The first send is stored but unanswered; the retry comes after backoff.
  for (const end = Date.now() + 15_000; delivered < 2 && Date.now() < end;) await new Promise((r) => setTimeout(r, 100));
  assert.ok(delivered >= 2, "the unanswered batch was sent again");
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("vitrine.outbox") ?? "[]").length === 0, null, { timeout: 15_000 });
  const after = await until("itm_film_camera", (t) => t.impressions > before.impressions);
  await page.waitForTimeout(500);
  assert.equal((await totals("itm_film_camera")).impressions - before.impressions, 1, "stored once");
  assert.ok(after.impressions - before.impressions === 1);
  await context.close();
});

test("a full offline outbox drops its oldest events and reports how many", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route("**/v1/events", (route) => route.abort());
  const page = await open(null, { context });
  await page.goto(BASE + "/test/fixtures.html");
  await page.evaluate(async (base) => {
    const { mountCard } = await import("/pkg/vitrine.js");
    const item = {
      id: "itm_many", title: "Many", image: base + "/media/tote.svg", reason: "Many cards.",
      price: { amount: "1", currency: "CNY" }, stock: null, store: { url: "https://weidian.com/item.html?itemID=1" },
      creator: { id: "cr_many", name: "M", avatar: base + "/media/avatar-maya.svg", followers: 1 },
    };
    for (let i = 0; i < 520; i++) {
      const el = document.createElement("div");
      document.getElementById("stage").append(el);
      mountCard(el, { item, layout: "compact" });
    }
  }, BASE);
  // Many cards render in slices of work: wait until all 520 are accounted for.
  await page.waitForFunction(() => {
    const entries = JSON.parse(localStorage.getItem("vitrine.outbox") ?? "[]");
    const dropped = entries.filter((e) => e.event.type === "queue_overflow").reduce((n, e) => n + e.event.count, 0);
    return entries.filter((e) => e.event.type === "impression").length + dropped >= 520;
  }, null, { timeout: 20_000 });
  const entries = await page.evaluate(() => JSON.parse(localStorage.getItem("vitrine.outbox")));
  assert.ok(entries.length <= 500, `capped (${entries.length})`);
  const dropped = entries.filter((e) => e.event.type === "queue_overflow").reduce((n, e) => n + e.event.count, 0);
  const impressions = entries.filter((e) => e.event.type === "impression").length;
  assert.ok(dropped >= 20, `the loss is counted (${dropped})`);
  assert.ok(impressions + dropped >= 520, "every impression is either kept or counted as dropped");
  await context.close();
});

test("Global Privacy Control is honoured unless the host set consent", async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true }));
  let posts = 0;
  await context.route("**/v1/events", (route) => {
    posts += 1;
    return route.continue();
  });
  const page = await open(null, { context });
  await page.goto(BASE + "/test/fixtures.html");
  const mount = (consent) => page.evaluate((c) => {
    const card = document.createElement("vitrine-card");
    card.setAttribute("item", "itm_linen_tote");
    if (c) card.setAttribute("consent", c);
    document.getElementById("stage").append(card);
  }, consent);
  await mount(null);
  await page.waitForTimeout(2000);
  assert.equal(posts, 0, "GPC alone: nothing sent");
  await mount("granted");
  await page.waitForTimeout(2000);
  assert.ok(posts >= 1, "the host's explicit consent wins");
  await context.close();
});

test("rendering again (an update, configure) does not count the impression again", async () => {
  const page = await open("/test/fixtures.html");
  await page.evaluate(() => {
    window.__impressions = 0;
    document.addEventListener("vitrine:impression", () => (window.__impressions += 1));
    const card = document.createElement("vitrine-card");
    card.id = "again";
    card.setAttribute("item", "itm_linen_tote");
    document.getElementById("stage").append(card);
  });
  await page.waitForFunction(() => window.__impressions === 1);
  await page.evaluate(async () => {
    document.querySelector("#again").setAttribute("theme", "dark");
    const { configure } = await import("/pkg/vitrine.js");
    configure({ locale: "en" });
  });
  await page.waitForFunction(() =>
    document.querySelector("#again").shadowRoot.querySelector("[part=buy]").textContent === "Buy on Weidian");
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__impressions), 1);
  await page.close();
});
