// End-to-end: the buy link. Every partner's link is its canonical product
// page with our attribution; refused links are never linked; every click
// gets its own click id; phones try the partner's app first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { devices } from "playwright-core";
import { ARTIFACTS, BASE, browser, goodItem, mount, open, readCard, settled } from "./helpers.mjs";

const CLICK = "[0-9a-f]{32}";
const PLACEMENT = new URL(BASE).hostname.replaceAll(".", "\\.");

/** Answers every partner store request with a stand-in page (there is no network here). */
async function fakeStores(page) {
  for (const host of ["item.taobao.com", "detail.tmall.com", "weidian.com", "item.jd.com"]) {
    await page.context().route(`https://${host}/**`, (route) =>
      route.fulfill({ contentType: "text/html", body: `<title>${host}</title><h1>${host}</h1>` }));
  }
}

const buyHref = (page, selector) =>
  page.evaluate((sel) => document.querySelector(sel).shadowRoot.querySelector("[part=buy]").getAttribute("href"), selector);

test("each partner's buy link is its canonical product page with attribution", async () => {
  const page = await open("/");
  await settled(page, 6);
  const expected = {
    itm_ceramic_mug: `^https://item\\.taobao\\.com/item\\.htm\\?id=624519851234&vt_click=${CLICK}&vt_creator=cr_linxiaoman&vt_placement=${PLACEMENT}$`,
    itm_oolong_tea: `^https://detail\\.tmall\\.com/item\\.htm\\?id=589123456789&vt_click=${CLICK}&vt_creator=cr_chenmo&vt_placement=${PLACEMENT}$`,
    itm_linen_tote: `^https://weidian\\.com/item\\.html\\?itemID=4512345678&utm_source=vitrine&utm_medium=creator&utm_campaign=cr_linxiaoman&utm_content=${PLACEMENT}&vt_click=${CLICK}$`,
    itm_nc_headphones: `^https://item\\.jd\\.com/100035246702\\.html\\?utm_source=vitrine&utm_medium=creator&utm_campaign=cr_mayachen&utm_content=${PLACEMENT}&vt_click=${CLICK}$`,
  };
  for (const [item, pattern] of Object.entries(expected)) {
    assert.match(await buyHref(page, `vitrine-card[item=${item}]`), new RegExp(pattern), item);
  }
  assert.deepEqual(page.warnings, []);
  await page.close();
});

test("links are canonicalised and refused links are never linked", async () => {
  const page = await open("/test/fixtures.html");
  const store = (url) => ({ item: { ...goodItem(), store: { url } }, placement: "pl_test" });
  const selectors = await mount(page, [
    store("http://detail.m.tmall.com/item.htm?spm=a1&id=589123456789&skuId=42&ali_trackid=x#sku"),
    store("https://item.taobao.com.evil.example/item.htm?id=624519851234"),
    store("https://taobao.com@evil.example/item.htm?id=624519851234"),
    store("https://item.jd.com/evil.html"),
  ]);
  assert.match(await buyHref(page, selectors[0]),
    new RegExp(`^https://detail\\.tmall\\.com/item\\.htm\\?id=589123456789&skuId=42&vt_click=${CLICK}&vt_creator=cr_t&vt_placement=pl_test$`));
  for (const sel of selectors.slice(1)) {
    const card = await readCard(page, sel);
    assert.equal(card.state, "ready", "a refused link keeps the card");
    assert.equal(card.buy.href, null);
    assert.equal(card.buy.disabled, "true");
  }
  assert.deepEqual(page.warnings, [
    "vitrine: item.store.url was refused (unknown-host); buying is disabled",
    "vitrine: item.store.url was refused (userinfo); buying is disabled",
    "vitrine: item.store.url was refused (bad-item-id); buying is disabled",
  ]);
  // Every link in the cards: the one resolved store link, and the byline's
  // follow control, which only ever points at the platform's intent page.
  const hrefs = await page.evaluate(() => [...document.querySelectorAll("[data-test-card]")]
    .flatMap((c) => [...c.shadowRoot.querySelectorAll("[href]")].map((a) => [a.getAttribute("part"), a.getAttribute("href")])));
  for (const [part, href] of hrefs) {
    if (part === "follow") assert.ok(href.startsWith(`${BASE}/intent/follow?creator=cr_t`), href);
    else assert.match(href, /^https:\/\/detail\.tmall\.com\//);
  }
  assert.equal(hrefs.filter(([part]) => part !== "follow").length, 1);
  await page.close();
});

test("a real click on the blog lands on the canonical store page with attribution, a fresh click id each time", async () => {
  const page = await open(null);
  await fakeStores(page);
  await page.goto(BASE + "/blog.html");
  await settled(page, 3);
  const landed = [];
  for (let i = 0; i < 2; i++) {
    const [tab] = await Promise.all([
      page.context().waitForEvent("page"),
      page.locator("#pick-mug").locator("[part=buy]").click(),
    ]);
    await tab.waitForLoadState();
    landed.push(tab.url());
    assert.equal(await tab.title(), "item.taobao.com");
    assert.equal(await tab.evaluate(() => window.opener), null, "noopener: the store cannot script the host page");
    await tab.close();
  }
  for (const url of landed) {
    assert.match(url, new RegExp(`^https://item\\.taobao\\.com/item\\.htm\\?id=624519851234&vt_click=${CLICK}&vt_creator=cr_linxiaoman&vt_placement=${PLACEMENT}$`));
  }
  const clickIds = landed.map((u) => new URL(u).searchParams.get("vt_click"));
  assert.notEqual(clickIds[0], clickIds[1], "every click is its own click");
  assert.equal(page.url(), BASE + "/blog.html", "the host page stays where it was");
  // A ctrl-click (a background tab) is a click too, with its own id, and the
  // browser opens it as usual. (Playwright cannot intercept the first request
  // of a ctrl-clicked tab, so the link is read where the SDK wrote it.)
  const before = await buyHref(page, "#pick-tea");
  await Promise.all([
    page.context().waitForEvent("page"),
    page.locator("#pick-tea").locator("[part=buy]").click({ modifiers: ["Control"] }),
  ]);
  const after = await buyHref(page, "#pick-tea");
  assert.match(after, /^https:\/\/detail\.tmall\.com\/item\.htm\?id=589123456789&vt_click=/);
  const afterId = new URL(after).searchParams.get("vt_click");
  assert.notEqual(afterId, new URL(before).searchParams.get("vt_click"));
  assert.ok(!clickIds.includes(afterId));
  assert.equal(page.url(), BASE + "/blog.html");
  await page.close();
});

test("on a phone the partner's app is tried first, then the web page opens", async () => {
  const page = await open(null, { device: devices["iPhone 13"] });
  await fakeStores(page);
  await page.goto(BASE + "/blog.html");
  await settled(page, 3);
  const clicked = Date.now();
  const [tab] = await Promise.all([
    page.context().waitForEvent("page", { timeout: 10_000 }),
    page.locator("#pick-mug").locator("[part=buy]").click(),
  ]);
  await tab.waitForLoadState();
  const waited = Date.now() - clicked;
  assert.ok(waited >= 1400, `the web page waits for the app to take over first (${waited} ms)`);
  assert.match(tab.url(), new RegExp(`^https://item\\.taobao\\.com/item\\.htm\\?id=624519851234&vt_click=${CLICK}&`));
  assert.equal(page.url(), BASE + "/blog.html", "the host page is not navigated away");
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("link-mode=redirect sends the click through the platform's signed link to the canonical page", async () => {
  const page = await open(null);
  await fakeStores(page);
  await page.goto(BASE + "/test/fixtures.html");
  await page.evaluate(() => {
    const card = document.createElement("vitrine-card");
    card.id = "redirected";
    card.setAttribute("item", "itm_oolong_tea");
    card.setAttribute("link-mode", "redirect");
    card.setAttribute("placement", "pl_newsletter");
    document.getElementById("stage").append(card);
  });
  const signed = () => page.waitForFunction(
    (base) => document.querySelector("#redirected").shadowRoot?.querySelector("[part=buy]")?.getAttribute("href")?.startsWith(base + "/r/"),
    BASE,
  ).then(() => buyHref(page, "#redirected"));
  const first = await signed();
  // What the platform does with that link (Playwright does not route the
  // second hop of a redirect chain, so the 302 is read directly).
  const answer = await page.request.get(first, { maxRedirects: 0 });
  assert.equal(answer.status(), 302);
  assert.match(answer.headers().location,
    new RegExp(`^https://detail\\.tmall\\.com/item\\.htm\\?id=589123456789&vt_click=${CLICK}&vt_creator=cr_chenmo&vt_placement=pl_newsletter$`));
  await Promise.all([
    page.context().waitForEvent("page"),
    page.locator("#redirected").locator("[part=buy]").click(),
  ]);
  await page.waitForFunction((old) =>
    document.querySelector("#redirected").shadowRoot.querySelector("[part=buy]").getAttribute("href") !== old, first);
  assert.notEqual(await signed(), first, "the next click gets its own signed link");
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("in redirect mode, an item the platform will not link gets a disabled button and one warning", async () => {
  const page = await open("/test/fixtures.html");
  // Inline data for an item the platform does not have: it cannot sign a link.
  const [sel] = await mount(page, [{ item: goodItem(), linkMode: "redirect" }]);
  await page.waitForFunction((s) =>
    document.querySelector(s).shadowRoot.querySelector("[part=buy]").getAttribute("aria-disabled") === "true", sel);
  const card = await readCard(page, sel);
  assert.equal(card.buy.href, null);
  assert.equal(card.buy.text, "暂不可购买");
  assert.deepEqual(page.warnings, ["vitrine: the platform gave no link for the item (no item with id itm_test); buying is disabled"]);
  await page.close();
});

// Chat apps' own browsers, as their user agents say (an iPhone's WeChat, and
// Weibo's).
const WECHAT_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN";
const WEIBO_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Weibo (iPhone15,2__weibo__14.6.2__iphone__os17.5)";

/** A phone page in the chat app `userAgent`, recording navigations and the clicks the card reports. */
async function inApp(userAgent) {
  const context = await browser.newContext({ ...devices["iPhone 13"], userAgent, permissions: ["clipboard-read", "clipboard-write"] });
  const page = await open(null, { context });
  await fakeStores(page);
  await page.addInitScript(() => {
    window.__clicks = [];
    addEventListener("vitrine:click", (e) => window.__clicks.push(e.detail));
  });
  page.opened = [];
  context.on("page", (p) => page.opened.push(p));
  await page.goto(BASE + "/blog.html");
  await settled(page, 3);
  return page;
}

const sheetOf = (page, card) => page.evaluate((sel) => {
  const sheet = document.querySelector(sel).shadowRoot.querySelector("[part=sheet]");
  if (!sheet) return null;
  const card = document.querySelector(sel).shadowRoot.querySelector("[part=card]").getBoundingClientRect();
  const box = sheet.getBoundingClientRect();
  return {
    role: sheet.getAttribute("role"),
    title: sheet.querySelector(".sheet-title").textContent,
    why: sheet.querySelector(".sheet-why").textContent,
    link: sheet.querySelector(".sheet-link").value,
    actions: [...sheet.querySelectorAll(".sheet-actions > *")].map((a) => a.textContent),
    inCard: box.left >= card.left && box.right <= card.right && box.top >= card.top && box.bottom <= card.bottom,
    focused: document.querySelector(sel).shadowRoot.activeElement?.className ?? null,
  };
}, card);

test("inside WeChat a Taobao buy button opens the copy-link sheet: no app attempt, no dead end", async () => {
  const page = await inApp(WECHAT_UA);
  const before = await page.evaluate(() => document.querySelector("#after-cards, p:last-of-type").getBoundingClientRect().top + scrollY);
  await page.locator("#pick-mug").locator("[part=buy]").click();
  await page.waitForFunction(() => document.querySelector("#pick-mug").shadowRoot.querySelector("[part=sheet]"));
  const sheet = await sheetOf(page, "#pick-mug");
  assert.equal(sheet.role, "dialog");
  assert.equal(sheet.title, "在浏览器中打开");
  assert.equal(sheet.why, "微信内无法打开淘宝的页面。");
  assert.match(sheet.link, new RegExp(`^https://item\\.taobao\\.com/item\\.htm\\?id=624519851234&vt_click=${CLICK}&`), "the attributed link");
  assert.deepEqual(sheet.actions, ["复制链接", "关闭"], "no way on inside WeChat: it refuses Taobao");
  assert.ok(sheet.inCard, "over its own card");
  assert.equal(sheet.focused, "sheet-copy");
  await page.waitForTimeout(1700);
  assert.equal(page.url(), BASE + "/blog.html", "not navigated, not to taobao://");
  assert.deepEqual(page.opened.map((p) => p.url()), [], "no tab, no app fallback");
  // The link copied is the one the click reported.
  await page.locator("#pick-mug").locator(".sheet-copy").click();
  await page.waitForFunction(() => document.querySelector("#pick-mug").shadowRoot.querySelector(".sheet-note").textContent === "已复制");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), sheet.link);
  const clicks = await page.evaluate(() => window.__clicks);
  assert.equal(clicks.length, 1);
  assert.equal(clicks[0].env, "wechat", "the click says where it happened");
  assert.equal(new URL(sheet.link).searchParams.get("vt_click"), clicks[0].click);
  await page.screenshot({ path: ARTIFACTS + "/in-app-wechat.png" });
  // Escape closes it, and the focus is back on the buy button; nothing moved.
  await page.keyboard.press("Escape");
  assert.equal(await sheetOf(page, "#pick-mug"), null);
  assert.equal(await page.evaluate(() => document.querySelector("#pick-mug").shadowRoot.activeElement?.getAttribute("part")), "buy");
  assert.equal(await page.evaluate(() => document.querySelector("#after-cards, p:last-of-type").getBoundingClientRect().top + scrollY), before);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("inside Weibo the sheet also offers to go on; inside WeChat a JD link just opens", async () => {
  const weibo = await inApp(WEIBO_UA);
  await weibo.locator("#pick-mug").locator("[part=buy]").click();
  await weibo.waitForFunction(() => document.querySelector("#pick-mug").shadowRoot.querySelector("[part=sheet]"));
  const sheet = await sheetOf(weibo, "#pick-mug");
  assert.equal(sheet.why, "如果微博内打不开淘宝的页面：");
  assert.deepEqual(sheet.actions, ["复制链接", "仍在此打开", "关闭"]);
  assert.equal(weibo.opened.length, 0, "no app attempt");
  assert.equal((await weibo.evaluate(() => window.__clicks))[0].env, "weibo");
  await weibo.context().close();

  const wechat = await inApp(WECHAT_UA);
  await wechat.evaluate(() => {
    const card = document.createElement("vitrine-card");
    card.id = "jd";
    card.setAttribute("item", "itm_nc_headphones");
    document.body.append(card);
  });
  await settled(wechat, 4);
  const [tab] = await Promise.all([wechat.context().waitForEvent("page"), wechat.locator("#jd").locator("[part=buy]").click()]);
  assert.match(tab.url(), /^https:\/\/item\.jd\.com\//, "straight to the page, which WeChat opens");
  assert.equal(await sheetOf(wechat, "#jd"), null);
  assert.equal((await wechat.evaluate(() => window.__clicks))[0].env, "wechat");
  await wechat.context().close();
});
