// Shared by the end-to-end suites: the browser, pages that record what the
// SDK says, and readers of what a person sees in a card.
import { before, after } from "node:test";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

export const BASE = process.env.VITRINE_URL ?? "http://127.0.0.1:8080";
export const ARTIFACTS = process.env.VITRINE_ARTIFACTS ?? "../../target/e2e";

// Headless Chromium says "HeadlessChrome" in its user agent, which the
// platform filters as invalid traffic (vitrine_core::traffic): the suites
// browse as the reader's ordinary Chrome they stand for.
export const READER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

export let browser;
before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", `--user-agent=${READER_AGENT}`],
  });
});
after(() => browser?.close());

/** A fresh page (at a path on the platform, or any URL) that records
 * console warnings and uncaught errors. */
export async function open(path, { width = 1280, route, device, context } = {}) {
  const page = context ? await context.newPage() : await browser.newPage(device ?? { viewport: { width, height: 900 } });
  page.warnings = [];
  page.errors = [];
  page.consoleErrors = [];
  page.on("console", (m) => {
    if (m.type() === "warning") page.warnings.push(m.text());
    if (m.type() === "error") page.consoleErrors.push(m.text() + " " + (m.location().url ?? ""));
  });
  page.on("pageerror", (e) => page.errors.push(e.message));
  if (route) await route(page);
  if (path) await page.goto(/^https?:/.test(path) ? path : BASE + path);
  return page;
}

/** Records layout shifts (not caused by input) from the start of the page, in `window.__shifts`. */
export const recordShifts = (page) =>
  page.addInitScript(() => {
    window.__shifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts.push(e.value);
    }).observe({ type: "layout-shift", buffered: true });
  });

/** Waits until every card on the page has left the loading state. */
export async function settled(page, count) {
  await page.waitForFunction((n) => {
    const cards = [...document.querySelectorAll("vitrine-card, [data-test-card]")];
    const states = cards.map((c) => c.shadowRoot?.querySelector("[part=card]")?.dataset.state);
    return states.length >= n && states.every((s) => s === "ready" || s === "error");
  }, count);
}

/** What a person sees in one card, read from its parts. */
export function readCard(page, selector) {
  return page.evaluate((sel) => {
    const root = document.querySelector(sel).shadowRoot;
    const part = (name) => root.querySelector(`[part~="${name}"]`);
    const text = (name) => part(name)?.textContent ?? null;
    const buy = part("buy");
    return {
      state: part("card").dataset.state,
      label: part("card").getAttribute("aria-label") ?? part(part("card").getAttribute("aria-labelledby") ? "title" : "card")?.textContent,
      title: text("title"), reason: text("reason"), creator: part("creator")?.innerText ?? null,
      price: text("price"), original: text("original-price"), stock: text("stock"), partner: text("partner"),
      image: part("image")?.getAttribute("src"), alt: part("image")?.getAttribute("alt"),
      buy: buy && { text: buy.textContent, href: buy.getAttribute("href"), rel: buy.getAttribute("rel"),
        target: buy.getAttribute("target"), disabled: buy.getAttribute("aria-disabled") },
      fallback: part("fallback") && { text: part("fallback").innerText, link: part("fallback").querySelector("a")?.getAttribute("href") ?? null },
      box: part("card").getBoundingClientRect().toJSON(),
    };
  }, selector);
}

/** Mounts cards with the JS API on the fixtures page; returns their selectors. */
export async function mount(page, cards) {
  await page.evaluate(async (cards) => {
    const { mountCard } = await import("/pkg/vitrine.js");
    for (const [i, options] of cards.entries()) {
      const el = document.createElement("div");
      el.id = "c" + i;
      el.dataset.testCard = "";
      document.getElementById("stage").append(el);
      mountCard(el, options);
    }
  }, cards);
  await settled(page, cards.length);
  return cards.map((_, i) => "#c" + i);
}

export function goodItem(origin = BASE) {
  return {
    id: "itm_test", title: "Test mug", image: origin + "/media/mug.svg", reason: "Because it is a test.",
    price: { amount: "89.00", currency: "CNY" }, original_price: { amount: "129.00", currency: "CNY" }, stock: 3,
    store: { url: "https://item.taobao.com/item.htm?id=624519851234" },
    creator: { id: "cr_t", name: "Tess", avatar: origin + "/media/avatar-lin.svg", followers: 10, verified: true },
  };
}

/** The demo creators' report API keys (the platform prints them at start-up). */
export const REPORT_KEYS = {
  cr_linxiaoman: "vk_0c5e1a2b3d4f5a6b7c8d9e0f1a2b3c4d",
  cr_mayachen: "vk_1d6f2b3c4e5a6b7c8d9e0f1a2b3c4d5e",
  cr_chenmo: "vk_2e7a3c4d5f6b7c8d9e0f1a2b3c4d5e6f",
};

/** The creator whose report a query reads: named, or its item's. */
async function creatorOf(query) {
  const params = new URLSearchParams(query);
  if (params.get("creator")) return params.get("creator");
  const item = await (await fetch(`${BASE}/v1/items/${encodeURIComponent(params.get("item"))}`)).json();
  return item.creator.id;
}

/** The report's totals for a query (`item=…`, `creator=…[&placement=…]`)
 * over the last hour, read with that creator's report key. */
export async function reportTotals(query) {
  const from = Date.now() - 3_600_000;
  const key = REPORT_KEYS[await creatorOf(query)];
  const response = await fetch(`${BASE}/v1/reports?${query}&from=${from}&bucket=hour`, {
    headers: { authorization: `Bearer ${key}` },
  });
  if (!response.ok) throw new Error(`the report answered ${response.status}: ${await response.text()}`);
  return (await response.json()).totals;
}

/** Signs `page` in as the demo account `email`, then goes to `next`. */
export async function signIn(page, email, next) {
  await page.goto(`${BASE}/signin?next=${encodeURIComponent(next)}`);
  await page.fill("input[type=email]", email);
  await page.fill("input[type=password]", "vitrine-demo");
  await Promise.all([page.waitForURL(BASE + next), page.getByRole("button", { name: "登录 · Sign in" }).click()]);
}

/** Waits until the report's totals for `query` satisfy `ok`; the last totals. */
export async function untilReport(query, ok, ms = 8000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await reportTotals(query);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

/** A creator's follower count, as the platform says now. */
export async function followers(creator) {
  const response = await fetch(`${BASE}/v1/creators/${creator}`);
  return (await response.json()).followers;
}

/** Signs in and confirms on the intent page (a popup or a tab). */
export async function signInAndFollow(intent, email) {
  await intent.waitForLoadState();
  await intent.getByText("Sign in to follow").click();
  await intent.fill("input[type=email]", email);
  await intent.fill("input[type=password]", "vitrine-demo");
  await intent.getByRole("button", { name: "登录 · Sign in" }).click();
  await intent.getByRole("button", { name: "关注 · Follow" }).click();
}
