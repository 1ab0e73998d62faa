// End-to-end: the built package (pkg/), served by the platform with its
// seeded database, in Debian's headless Chromium. Run by `cargo xtask test`,
// which starts the platform and sets VITRINE_URL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { ARTIFACTS, BASE, goodItem, mount, open, readCard, recordShifts, settled } from "./helpers.mjs";

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

test("the blog post shows three live cards with the creator's words, price, stock and a buy link", async () => {
  const page = await open("/blog.html");
  await settled(page, 3);
  const mug = await readCard(page, "#pick-mug");
  assert.equal(mug.state, "ready");
  assert.equal(mug.title, "手作粗陶马克杯 350ml 哑光釉 可进洗碗机");
  assert.match(mug.reason, /^每天早上用它喝咖啡/);
  assert.match(mug.creator, /林小满/);
  assert.equal(mug.price, "¥89.00");
  assert.match(mug.original, /¥129\.00/);
  assert.equal(mug.stock, "有货");
  assert.equal(mug.partner, "淘宝");
  assert.equal(mug.alt, mug.title);
  assert.equal(mug.image, BASE + "/media/mug.svg");
  assert.match(mug.buy.href, /^https:\/\/item\.taobao\.com\/item\.htm\?id=624519851234&vt_click=[0-9a-f]{32}&vt_creator=cr_linxiaoman&vt_placement=127\.0\.0\.1$/);
  assert.deepEqual({ ...mug.buy, href: undefined }, { text: "去淘宝购买", href: undefined,
    rel: "sponsored noopener", target: "_blank", disabled: null });
  assert.equal(mug.fallback, null);
  const tea = await readCard(page, "#pick-tea");
  assert.equal(tea.partner, "天猫");
  assert.equal(tea.buy.text, "去天猫购买");
  const camera = await readCard(page, "#pick-camera");
  assert.equal(camera.stock, "仅剩 2 件");
  assert.ok(camera.box.height < mug.box.height, "the sidebar card is compact");
  assert.equal(await page.evaluate(() =>
    document.querySelector("#pick-camera").shadowRoot.querySelector("[part=card]").dataset.layout), "compact");
  await page.screenshot({ path: ARTIFACTS + "/blog.png", fullPage: true });
  assert.deepEqual(page.errors, []);
  assert.deepEqual(page.warnings, []);
  assert.deepEqual(page.consoleErrors, [], "no failed request, no error of any kind");
  await page.close();
});

test("English, dark theme and sold out on the demo index", async () => {
  const page = await open("/");
  await settled(page, 6);
  const headphones = await readCard(page, "vitrine-card[item=itm_nc_headphones]");
  assert.equal(headphones.price, "CN¥1,899.00");
  assert.equal(headphones.stock, "Only 5 left");
  assert.equal(headphones.buy.text, "Buy on JD");
  const keyboard = await readCard(page, "vitrine-card[item=itm_keyboard_75]");
  assert.equal(keyboard.stock, "Sold out");
  assert.equal(keyboard.buy.href, null, "sold out keeps the card but not the link");
  assert.equal(keyboard.buy.disabled, "true");
  const theme = await page.evaluate(() =>
    document.querySelector("vitrine-card[theme=dark]").shadowRoot.querySelector("[part=card]").dataset.theme);
  assert.equal(theme, "dark");
  await page.screenshot({ path: ARTIFACTS + "/index.png", fullPage: true });
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test("bad data renders the fallback in the card's own box, with one warning naming the problem", async () => {
  const page = await open("/test/fixtures.html");
  const cases = [
    [{ item: goodItem() }, null],
    [{ item: { ...goodItem(), price: { amount: 89, currency: "CNY" } } },
      "vitrine: item.price.amount must be a non-negative decimal string"],
    [{ item: { ...goodItem(), title: undefined } },
      "vitrine: item.title must be a non-empty string of at most 200 characters"],
    [{ item: { ...goodItem(), stock: -4 } },
      "vitrine: item.stock must be null or a whole number from 0 to 1000000000"],
    [{ itemId: "itm_unknown" }, "vitrine: item itm_unknown is not known to the platform (404)"],
    [{ itemId: "itm_ceramic_mug", platform: "http://127.0.0.1:9" },
      "vitrine: the platform could not be reached at http://127.0.0.1:9/v1/items/itm_ceramic_mug"],
    [{ itemId: "bad id!" }, `vitrine: item id "bad id!" is not an id of 1 to 64 letters, digits, '_' or '-'`],
    [{ item: "nonsense" }, "vitrine: item must be an object"],
    [{}, "vitrine: no item to show: set the item attribute (itemId) or put the item's JSON inside the element"],
  ];
  const selectors = await mount(page, cases.map(([options]) => options));
  const good = await readCard(page, selectors[0]);
  assert.equal(good.state, "ready");
  for (const [i, [, warning]] of cases.entries()) {
    if (!warning) continue;
    const card = await readCard(page, selectors[i]);
    assert.equal(card.state, "error", warning);
    assert.match(card.fallback.text, /这条推荐暂时无法显示/);
    assert.equal(card.box.height, good.box.height, "the fallback keeps the card's size: " + warning);
    assert.equal(page.warnings.filter((w) => w === warning).length, 1, "one warning: " + warning);
  }
  // A bad price still lets the reader reach the (safe) store page.
  const badPrice = await readCard(page, selectors[1]);
  assert.equal(badPrice.fallback.link, "https://item.taobao.com/item.htm?id=624519851234");
  assert.equal(page.warnings.length, cases.length - 1, page.warnings.join("\n"));
  assert.deepEqual(page.errors, [], "nothing is thrown into the host page");
  await page.close();
});

test("an unsafe store link keeps the card and disables buying", async () => {
  const page = await open("/test/fixtures.html");
  const [sel] = await mount(page, [{ item: { ...goodItem(), store: { url: "javascript:alert(document.domain)" } } }]);
  const card = await readCard(page, sel);
  assert.equal(card.state, "ready");
  assert.equal(card.buy.href, null);
  assert.equal(card.buy.disabled, "true");
  assert.deepEqual(page.warnings, ["vitrine: item.store.url was refused (scheme); buying is disabled"]);
  const hrefs = await page.evaluate(() => [...document.querySelector("#c0").shadowRoot.querySelectorAll("[href]")].map((a) => a.getAttribute("href")));
  assert.ok(hrefs.every((h) => !/^javascript:/i.test(h)), "no javascript: URL anywhere");
  await page.close();
});

test("inline JSON, update() and destroy() through the element and the handle", async () => {
  const page = await open("/test/fixtures.html");
  await page.evaluate(async () => {
    await import("/pkg/vitrine.js");
    const el = document.createElement("vitrine-card");
    el.id = "inline";
    const data = document.createElement("script");
    data.type = "application/json";
    data.textContent = JSON.stringify({
      id: "itm_inline", title: "Inline item", image: location.origin + "/media/tote.svg", reason: "Inline reason",
      price: { amount: "10", currency: "USD" }, stock: null, store: { url: "https://weidian.com/item.html?itemID=1" },
      creator: { id: "cr_i", name: "Ina", avatar: location.origin + "/media/avatar-maya.svg", followers: 1 },
    });
    el.append(data);
    el.setAttribute("locale", "en");
    document.getElementById("stage").append(el);
  });
  await settled(page, 1);
  let card = await readCard(page, "#inline");
  assert.equal(card.title, "Inline item");
  assert.equal(card.price, "$10.00");
  assert.equal(card.stock, "", "unknown stock shows no stock line");
  assert.equal(card.buy.text, "Buy on Weidian");
  await page.evaluate(() => document.querySelector("#inline").setAttribute("locale", "zh-CN"));
  await page.waitForFunction(() => document.querySelector("#inline").shadowRoot.querySelector("[part=buy]").textContent === "去微店购买");
  await page.evaluate(() => document.querySelector("#inline").remove());
  const handle = await page.evaluate(async () => {
    const { mountCard } = await import("/pkg/vitrine.js");
    const el = document.createElement("div");
    el.id = "handle";
    document.getElementById("stage").append(el);
    const h = mountCard(el, { itemId: "itm_linen_tote" });
    await new Promise((r) => setTimeout(r, 500));
    h.update({ layout: "compact" });
    const layout = el.shadowRoot.querySelector("[part=card]")?.dataset.layout;
    h.destroy();
    return { layout, after: el.shadowRoot.childNodes.length };
  });
  assert.deepEqual(handle, { layout: "compact", after: 0 });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("a page of many cards: the last one works like the first, and destroying them at once leaves nothing", async () => {
  const page = await open("/test/fixtures.html");
  const left = await page.evaluate(async () => {
    const { mountCard } = await import("/pkg/vitrine.js");
    const item = await fetch("/v1/items/itm_linen_tote").then((r) => r.json());
    const mountAll = (prefix, count) => Array.from({ length: count }, (_, i) => {
      const el = document.createElement("div");
      el.id = prefix + i;
      el.dataset.testCard = "";
      document.getElementById("stage").append(el);
      return mountCard(el, { item: { ...item, id: "itm_many_" + i }, consent: "denied" });
    });
    // Destroyed in the task that mounted them: all but the first few dozen
    // are still waiting for a slice of work then.
    for (const handle of mountAll("gone", 300)) handle.destroy();
    await new Promise((r) => setTimeout(r, 500));
    const gone = [...document.querySelectorAll("[id^=gone]")].filter((el) => el.shadowRoot?.childNodes.length).length;
    document.querySelectorAll("[id^=gone]").forEach((el) => el.remove());
    mountAll("c", 40);
    return gone;
  });
  assert.equal(left, 0, "no destroyed card draws a skeleton later");
  await settled(page, 40);
  const item = await (await fetch(BASE + "/v1/items/itm_linen_tote")).json();
  for (const selector of ["#c0", "#c39"]) {
    const card = await readCard(page, selector);
    assert.equal(card.state, "ready");
    assert.equal(card.title, item.title);
    assert.match(card.buy.href, /^https:\/\//);
  }
  // The last card's byline follows through the intent like the first one's.
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.locator("#c39").locator("[part=follow]").click()]);
  assert.match(popup.url(), /\/intent\/follow\?/);
  assert.equal(await page.evaluate(() => document.querySelector("#c39").shadowRoot.querySelector("[part=follow]").dataset.follow), "pending");
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("host page styles do not leak into the card", async () => {
  const measure = async (path) => {
    const page = await open(path, { width: 800 });
    await settled(page, 1);
    const m = await page.evaluate(() => {
      const root = document.querySelector("vitrine-card").shadowRoot;
      const out = {};
      for (const name of ["card", "title", "reason", "price", "buy", "image"]) {
        const el = root.querySelector(`[part~=${name}]`);
        const cs = getComputedStyle(el);
        const r = el.getBoundingClientRect();
        out[name] = { w: r.width, h: r.height, font: cs.font, color: cs.color, ls: cs.letterSpacing,
          align: cs.textAlign, dir: cs.direction, transform: cs.textTransform, border: cs.borderTopWidth };
      }
      return out;
    });
    await page.close();
    return m;
  };
  const neutral = await measure("/test/neutral.html");
  const hostile = await measure("/test/hostile.html");
  assert.deepEqual(hostile, neutral);
});

test("the strict-CSP page works with no policy violation", async () => {
  const page = await open(null);
  const response = await page.goto(BASE + "/csp.html");
  assert.match(response.headers()["content-security-policy"], /script-src 'self' 'wasm-unsafe-eval'; style-src 'self'/);
  await settled(page, 3);
  assert.equal((await readCard(page, "vitrine-card[item=itm_nc_headphones]")).state, "ready");
  assert.equal((await readCard(page, "#broken")).state, "error");
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(page.warnings, ["vitrine: item.price.amount must be a non-negative decimal string"]);
  assert.deepEqual(page.consoleErrors, []);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("axe-core finds no accessibility violations", async () => {
  for (const [path, cards] of [["/blog.html", 3], ["/", 3], ["/csp.html", 3], ["/store.html", 1]]) {
    const page = await open(path);
    await settled(page, cards);
    if (path === "/store.html") {
      // The recommendations strip, with its list open.
      await page.waitForFunction(() => document.querySelector("vitrine-proof").shadowRoot?.querySelector(".proof")?.dataset.state === "ready");
      await page.locator("vitrine-proof").locator(".more").click();
    }
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () =>
      (await window.axe.run(document, { resultTypes: ["violations"] })).violations.map((v) =>
        `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`));
    assert.deepEqual(violations, [], path);
    await page.close();
  }
});

test("the follow and buy links are reachable by keyboard and show a focus ring", async () => {
  const page = await open("/test/neutral.html");
  await settled(page, 1);
  const focused = () => page.evaluate(() => {
    const el = document.querySelector("vitrine-card").shadowRoot.activeElement;
    const cs = getComputedStyle(el);
    return { part: el?.getAttribute("part"), outline: cs.outlineStyle, width: cs.outlineWidth };
  });
  await page.keyboard.press("Tab");
  assert.deepEqual(await focused(), { part: "follow", outline: "solid", width: "3px" }, "the byline's follow control");
  await page.keyboard.press("Tab");
  assert.deepEqual(await focused(), { part: "buy", outline: "solid", width: "3px" });
  await page.close();
});

test("loading by id shows a skeleton of exactly the final size: no layout shift", async () => {
  // Delay the item API so the skeleton is on screen for a while.
  const page = await open(null, {
    route: async (p) => {
      await recordShifts(p);
      await p.route("**/v1/items/*", async (route) => {
        await new Promise((r) => setTimeout(r, 600));
        await route.continue();
      });
    },
  });
  await page.goto(BASE + "/blog.html");
  await page.waitForFunction(() =>
    document.querySelector("#pick-mug").shadowRoot?.querySelector("[part=card]")?.dataset.state === "loading");
  const skeleton = await page.evaluate(() =>
    document.querySelector("#pick-mug").shadowRoot.querySelector("[part=card]").getBoundingClientRect().toJSON());
  await settled(page, 3);
  const final = (await readCard(page, "#pick-mug")).box;
  assert.deepEqual(final, skeleton);
  await page.waitForTimeout(300);
  const shifts = await page.evaluate(() => window.__shifts);
  assert.equal(shifts.reduce((a, b) => a + b, 0), 0, "CLS: " + JSON.stringify(shifts));
  await page.close();
});

test("the card looks right from 240 px to 640 px wide", async () => {
  const page = await open("/test/fixtures.html");
  for (const [width, layout] of [[240, "full"], [360, "full"], [640, "full"], [240, "compact"], [640, "compact"]]) {
    const overflow = await page.evaluate(async ({ width, layout }) => {
      const { mountCard } = await import("/pkg/vitrine.js");
      const el = document.createElement("div");
      el.style.width = width + "px";
      document.getElementById("stage").replaceChildren(el);
      mountCard(el, { itemId: "itm_nc_headphones", layout });
      await new Promise((r) => {
        const check = () => el.shadowRoot?.querySelector("[data-state=ready]") ? r() : setTimeout(check, 20);
        check();
      });
      const root = el.shadowRoot;
      const card = root.querySelector("[part=card]").getBoundingClientRect();
      // Every part lies inside the card, and no text box overflows sideways.
      return [...root.querySelectorAll("[part]")].filter((p) => {
        const r = p.getBoundingClientRect();
        return r.width > 0 && (r.left < card.left - 0.5 || r.right > card.right + 0.5 || p.scrollWidth > p.clientWidth + 1);
      }).map((p) => p.getAttribute("part") + ":" + p.scrollWidth + ">" + p.clientWidth);
    }, { width, layout });
    assert.deepEqual(overflow, [], `${layout} at ${width}px`);
  }
  await page.close();
});

test("every card says it is advertising, in its language, on screen and to a screen reader", async () => {
  const page = await open("/test/fixtures.html");
  for (const [locale, layout, width, label] of [["zh-CN", "full", 640, "广告"], ["en", "full", 240, "Ad"], ["zh-CN", "compact", 240, "广告"], ["en", "compact", 640, "Ad"]]) {
    const seen = await page.evaluate(async ({ locale, layout, width }) => {
      const { mountCard } = await import("/pkg/vitrine.js");
      const el = document.createElement("div");
      el.style.width = width + "px";
      document.getElementById("stage").replaceChildren(el);
      // Sold out: a card that cannot be bought is labelled too.
      mountCard(el, { itemId: "itm_keyboard_75", layout, locale });
      await new Promise((r) => {
        const check = () => el.shadowRoot?.querySelector("[data-state=ready]") ? r() : setTimeout(check, 20);
        check();
      });
      const label = el.shadowRoot.querySelector("[part=disclosure]");
      const box = label.getBoundingClientRect();
      const media = el.shadowRoot.querySelector(".media").getBoundingClientRect();
      const style = getComputedStyle(label);
      return {
        text: label.textContent,
        shown: box.width > 0 && box.height > 0 && style.visibility === "visible" && +style.opacity === 1,
        onPicture: box.left >= media.left && box.right <= media.right && box.top >= media.top && box.bottom <= media.bottom,
      };
    }, { locale, layout, width });
    assert.deepEqual(seen, { text: label, shown: true, onPicture: true }, `${locale} ${layout} at ${width}px`);
    const tree = await page.locator("#stage > div").ariaSnapshot();
    // (Beside the partner's badge on the picture, it reads "京东 广告", "JD Ad".)
    assert.match(tree, new RegExp(`^\\s*- text: (.* )?${label}$`, "m"), `${label} is in the accessibility tree:\n${tree}`);
  }
  await page.close();
});

test("when the wasm cannot load, the card gives its space back and the page keeps working", async () => {
  const page = await open(null, { route: (p) => p.route("**/vitrine_wasm_bg.wasm", (r) => r.fulfill({ status: 503, body: "" })) });
  await page.goto(BASE + "/test/neutral.html");
  await page.waitForFunction(() => document.querySelector("vitrine-card").shadowRoot?.childNodes.length === 0);
  assert.equal(page.warnings.length, 1, page.warnings.join("\n"));
  assert.match(page.warnings[0], /^vitrine: the SDK's WebAssembly could not be loaded/);
  assert.deepEqual(page.errors, [], "nothing thrown into the host page");
  await page.close();
});

test("the one-tag embed: page-wide options, elements added later, harmless twice", async () => {
  const page = await open("/embed.html");
  await page.waitForFunction(() => document.querySelector("#later")?.shadowRoot?.querySelector("[data-state=ready]"), null, { timeout: 10_000 });
  await settled(page, 3);
  const tea = await readCard(page, "vitrine-card[item=itm_oolong_tea]");
  assert.equal(tea.buy.text, "Buy on Tmall", "data-locale applies page-wide");
  assert.match(tea.buy.href, /&vt_placement=embed-demo$/, "data-placement applies page-wide (the second tag is ignored)");
  const tote = await readCard(page, "vitrine-card[item=itm_linen_tote]");
  assert.equal(tote.buy.text, "去微店购买", "an element's own attribute wins");
  const later = await readCard(page, "#later");
  assert.equal(later.title, "复古 35mm 胶片相机 · 附赠一卷彩色胶卷");
  assert.equal(await page.evaluate(() => document.querySelectorAll("link[rel=preconnect]").length), 1);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});
