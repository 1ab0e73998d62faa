// Social proof on a partner store's product page: who recommends this
// product, why, and a way to follow them; nothing at all (and no shift) for
// a product nobody recommends; and the numbers reach each creator's report.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ARTIFACTS, BASE, browser, followers, open, recordShifts, reportTotals, signInAndFollow, untilReport } from "./helpers.mjs";


const strip = (page) =>
  page.evaluate(() => {
    const host = document.querySelector("vitrine-proof");
    const root = host.shadowRoot;
    const text = (sel) => root.querySelector(sel)?.textContent ?? null;
    const rows = [...root.querySelectorAll(".row")].map((row) => ({
      name: row.querySelector(".name").textContent,
      reason: row.querySelector(".text").textContent,
      follow: row.querySelector(".follow").textContent,
    }));
    return {
      state: root.querySelector(".proof")?.dataset.state,
      height: host.getBoundingClientRect().height,
      count: text(".count"),
      disclosure: text(".disclosure"),
      quote: text(".top .text"),
      by: text(".top .name"),
      avatars: root.querySelectorAll(".avatars img[src]").length,
      more: text(".more"),
      expanded: root.querySelector(".more")?.getAttribute("aria-expanded"),
      listHidden: root.querySelector(".list")?.hidden,
      rows,
    };
  });

const ready = (page) =>
  page.waitForFunction(() => {
    const state = document.querySelector("vitrine-proof")?.shadowRoot?.querySelector(".proof")?.dataset.state;
    return state === "ready" || state === "empty" || state === "error";
  });

test("the store's product page shows which creators recommend it and why; the list opens by keyboard", async () => {
  const page = await open("/store.html");
  await ready(page);
  const shown = await strip(page);
  assert.equal(shown.state, "ready");
  assert.equal(shown.count, "3 位达人推荐");
  assert.equal(shown.disclosure, "广告", "labelled as advertising: it carries purchase links");
  assert.equal(shown.avatars, 3);
  assert.equal(shown.by, "林小满", "the largest audience first");
  assert.match(shown.quote, /过年送了爸妈一盒/);
  assert.equal(shown.more, "查看全部 3 条推荐");
  assert.equal(shown.expanded, "false");
  assert.equal(shown.listHidden, true);
  assert.deepEqual(page.warnings, []);
  // By keyboard: Enter on the expand control opens the list, Space closes it.
  await page.locator("vitrine-proof").locator(".more").focus();
  await page.keyboard.press("Enter");
  const open1 = await strip(page);
  assert.equal(open1.expanded, "true");
  assert.equal(open1.listHidden, false);
  assert.equal(open1.more, "收起");
  assert.deepEqual(open1.rows.map((r) => r.name), ["Maya Chen", "陈默"]);
  assert.match(open1.rows[0].reason, /cinnamon finish/);
  assert.match(open1.rows[1].reason, /炭焙火功足而不燥/);
  assert.ok(open1.height > shown.height, "expanded, it grows");
  await page.screenshot({ path: ARTIFACTS + "/store-proof.png", fullPage: true });
  await page.keyboard.press("Space");
  const closed = await strip(page);
  assert.equal(closed.expanded, "false");
  assert.equal(closed.height, shown.height, "closed, it is its collapsed box again");
  // The same strip in English, by attribute.
  await page.evaluate(() => document.querySelector("vitrine-proof").setAttribute("locale", "en"));
  await page.waitForFunction(() => document.querySelector("vitrine-proof").shadowRoot.querySelector(".count")?.textContent === "Recommended by 3 creators");
  assert.equal((await strip(page)).disclosure, "Ad");
  assert.match(await page.locator("vitrine-proof").ariaSnapshot(), /text: Ad\b/, "in the accessibility tree");
  await page.close();
});

test("a product nobody recommends shows nothing and shifts nothing; a known one takes its box at once", async () => {
  const plain = await open(null, { route: recordShifts });
  await plain.goto(BASE + "/store-plain.html");
  await ready(plain);
  await plain.waitForTimeout(300);
  const empty = await strip(plain);
  assert.equal(empty.state, "empty");
  assert.equal(empty.height, 0);
  assert.equal(await plain.evaluate(() => getComputedStyle(document.querySelector("vitrine-proof")).borderTopWidth), "0px");
  assert.deepEqual(await plain.evaluate(() => window.__shifts), [], "nothing moved");
  await plain.close();

  // Seen once in this tab, the strip knows before its answer comes back:
  // the box is there from the first frame, and nothing moves.
  const page = await open(null, { route: recordShifts });
  await page.goto(BASE + "/store.html");
  await ready(page);
  const collapsed = (await strip(page)).height;
  assert.ok(collapsed > 100, `collapsed height ${collapsed}`);
  // The strip's code and its answer both come late: the box is held first
  // by the shell's reservation, then by the strip's skeleton.
  for (const slow of ["**/v1/proof?*", "**/pkg/vitrine-proof.js"]) {
    await page.route(slow, async (route) => {
      await new Promise((r) => setTimeout(r, 500));
      await route.continue();
    });
  }
  await page.reload({ waitUntil: "domcontentloaded" });
  await page.waitForFunction(() => document.querySelector("vitrine-proof")?.shadowRoot);
  assert.equal(await page.evaluate(() => document.querySelector("vitrine-proof").shadowRoot.querySelector(".proof")), null, "the strip's code is not here yet");
  assert.equal((await strip(page)).height, collapsed, "the reserved box is the collapsed box");
  await page.waitForFunction(() => document.querySelector("vitrine-proof")?.shadowRoot?.querySelector(".proof")?.dataset.state === "loading");
  assert.equal((await strip(page)).height, collapsed, "the skeleton is the collapsed box");
  await ready(page);
  assert.equal((await strip(page)).height, collapsed);
  assert.deepEqual(await page.evaluate(() => window.__shifts), [], "nothing moved");
  await page.close();
});

test("following a creator from the strip goes through the platform's follow intent", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await open("/store.html", { context });
  await ready(page);
  const before = await followers("cr_mayachen");
  await page.locator("vitrine-proof").locator(".more").click();
  const follow = page.locator("vitrine-proof").locator(".row", { hasText: "Maya Chen" }).locator(".follow");
  const [popup] = await Promise.all([page.waitForEvent("popup"), follow.click()]);
  assert.match(popup.url(), /\/intent\/follow\?creator=cr_mayachen&nonce=[0-9a-f]{32}&origin=/);
  await signInAndFollow(popup, "alex@vitrine.demo");
  await page.waitForFunction(() =>
    [...document.querySelector("vitrine-proof").shadowRoot.querySelectorAll(".row .follow")].some((f) => f.dataset.follow === "following"));
  assert.equal(await followers("cr_mayachen"), before + 1);
  const rows = (await strip(page)).rows;
  assert.deepEqual(rows.map((r) => r.follow), ["已关注", "关注"], "only Maya is followed");
  await context.close();
});

test("the report counts the strip: one viewable impression per creator shown per page view, expands and creator clicks", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // This test's own placement, so that other tests' strips do not count here.
  const placement = "proof-report-" + Date.now();
  await context.route(BASE + "/store.html", async (route) => {
    const response = await route.fetch();
    const html = (await response.text()).replace("<vitrine-proof>", `<vitrine-proof placement="${placement}">`);
    await route.fulfill({ response, body: html });
  });
  const page = await open("/store.html", { context });
  await ready(page);
  await page.waitForTimeout(1300); // in view for over a second
  // Rendering again (a locale change) and scrolling away and back do not count again.
  await page.evaluate(() => document.querySelector("vitrine-proof").setAttribute("locale", "en"));
  await page.evaluate(() => window.scrollTo(0, 10_000));
  await page.waitForTimeout(200);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(1300);
  await page.locator("vitrine-proof").locator(".more").click();
  const name = page.locator("vitrine-proof").locator(".row", { hasText: "Maya Chen" }).locator(".name");
  const [profile] = await Promise.all([context.waitForEvent("page"), name.click()]);
  await profile.waitForLoadState();
  assert.equal(new URL(profile.url()).pathname, "/creators/cr_mayachen");
  await profile.waitForFunction(() => document.querySelectorAll("vitrine-card").length >= 2);
  await profile.close();
  await page.goto("about:blank"); // away at once: the rest goes by sendBeacon
  // Each creator reads their own report of this placement.
  const creators = ["cr_linxiaoman", "cr_mayachen", "cr_chenmo"];
  const maya = await untilReport(`creator=cr_mayachen&placement=${placement}`, (t) => t.creator_clicks >= 1);
  const each = await Promise.all(creators.map((c) => untilReport(`creator=${c}&placement=${placement}`, (t) => t.proof_viewable_impressions >= 1)));
  // Three creators' avatars in the collapsed strip: one of each per creator.
  assert.deepEqual(each.map((t) => t.proof_impressions), [1, 1, 1]);
  assert.deepEqual(each.map((t) => t.proof_viewable_impressions), [1, 1, 1]);
  assert.equal(each.reduce((n, t) => n + t.proof_expands, 0), 1, "one expand, counted for one creator");
  assert.equal(maya.creator_clicks, 1);
  assert.equal(each.reduce((n, t) => n + t.creator_clicks, 0), 1);
  // Per item and per creator, like the card's.
  const mayaAll = await reportTotals("creator=cr_mayachen");
  assert.ok(mayaAll.proof_viewable_impressions >= 1 && mayaAll.creator_clicks >= 1, JSON.stringify(mayaAll));
  await context.close();
});

test("each page downloads only the code it needs: the strip's on a store page, the card's on a blog, the follow button's only where one is", async () => {
  const fetched = async (path, settledWhen) => {
    const page = await open(path);
    await page.waitForFunction(settledWhen);
    // Give a stray request a moment to show itself.
    await page.waitForTimeout(300);
    const names = await page.evaluate(() =>
      performance.getEntriesByType("resource").map((r) => new URL(r.name).pathname).filter((p) => p.startsWith("/pkg/")));
    await page.close();
    return names.sort();
  };
  const stripDone = () => ["ready", "empty"].includes(document.querySelector("vitrine-proof").shadowRoot?.querySelector(".proof")?.dataset.state);
  assert.deepEqual(await fetched("/store-plain.html", stripDone),
    ["/pkg/vitrine-proof.js", "/pkg/vitrine.js", "/pkg/vitrine_proof_wasm_bg.wasm"], "a store page with only a strip");
  const cardsDone = () => [...document.querySelectorAll("vitrine-card")].every((c) => c.shadowRoot?.querySelector("[data-state=ready]"));
  // (Each runs in the page, so each is whole.)
  const cardsAndFollowDone = () => [...document.querySelectorAll("vitrine-card")].every((c) => c.shadowRoot?.querySelector("[data-state=ready]"))
    && ["follow", "following"].includes(document.querySelector("vitrine-follow").shadowRoot?.querySelector(".follow")?.dataset.state);
  assert.deepEqual(await fetched("/blog.html", cardsAndFollowDone),
    ["/pkg/vitrine-follow.js", "/pkg/vitrine.js", "/pkg/vitrine_wasm_bg.wasm"], "a blog of cards and a follow button: the button's chunk, no second wasm");
  // (csp.html's third card is broken on purpose: it ends in its fallback.)
  const cardsSettled = () => [...document.querySelectorAll("vitrine-card")].every((c) =>
    ["ready", "error"].includes(c.shadowRoot?.querySelector("[part=card]")?.dataset.state));
  assert.deepEqual(await fetched("/csp.html", cardsSettled),
    ["/pkg/vitrine.js", "/pkg/vitrine_wasm_bg.wasm"], "a page of cards only: no follow button's chunk");
});
