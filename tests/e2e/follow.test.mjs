// End-to-end: the follow button. A reader follows a creator from the blog
// through the platform's intent page, the platform counts it once, the host
// page remembers it, and forged answers change nothing.
//
// These tests follow creators for good: they expect a fresh platform, which
// `cargo xtask test` starts for every run (each test uses its own reader and
// creator pair).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ARTIFACTS, BASE, browser, followers, open, recordShifts, signInAndFollow } from "./helpers.mjs";

// The same server under another name is another origin: the attacker's.
const OTHER_ORIGIN = BASE.replace("127.0.0.1", "localhost");

const followState = (page, selector = "#follow-lin") =>
  page.evaluate((sel) => {
    const root = document.querySelector(sel).shadowRoot;
    const box = root.querySelector("[part=follow-root]");
    return {
      state: box.dataset.state,
      label: root.querySelector("[part=follow]").textContent,
      count: root.querySelector("[part=count]").textContent,
      name: root.querySelector("[part=name]").textContent,
      href: root.querySelector("[part=follow]").getAttribute("href"),
      box: box.getBoundingClientRect().toJSON(),
    };
  }, selector);

const waitState = (page, state, selector = "#follow-lin") =>
  page.waitForFunction(([sel, s]) =>
    document.querySelector(sel).shadowRoot?.querySelector("[part=follow-root]")?.dataset.state === s, [selector, state]);


test("a reader follows a creator from the blog, once, and the blog remembers it", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await open("/blog.html", { context });
  await waitState(page, "follow");
  const before = await followState(page);
  assert.equal(before.name, "林小满");
  assert.equal(before.label, "关注");
  assert.equal(before.count, "12.8万 位关注者", "compact count in zh-CN");
  const count = await followers("cr_linxiaoman");

  const [popup] = await Promise.all([page.waitForEvent("popup"), page.locator("#follow-lin").locator("[part=follow]").click()]);
  await waitState(page, "pending");
  assert.match(popup.url(), new RegExp(`^${BASE}/intent/follow\\?creator=cr_linxiaoman&nonce=[0-9a-f]{32}&origin=`));
  await signInAndFollow(popup, "xiaowang@vitrine.demo");
  await waitState(page, "following");
  assert.equal((await followState(page)).label, "已关注");
  assert.deepEqual((await followState(page)).box, before.box, "the button keeps its size");
  assert.equal(await followers("cr_linxiaoman"), count + 1, "counted once");

  await page.reload();
  await waitState(page, "following");
  assert.equal((await followState(page)).label, "已关注", "remembered on this site across reloads");
  assert.equal(await followers("cr_linxiaoman"), count + 1);
  await context.close();
});

test("forged answers change nothing, and a dismissed popup returns to Follow", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await open("/blog.html", { context });
  await waitState(page, "follow");
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.locator("#follow-lin").locator("[part=follow]").click()]);
  await waitState(page, "pending");
  const nonce = new URL(popup.url()).searchParams.get("nonce");
  const forge = async (origin, message) => {
    await page.evaluate(([src]) => new Promise((resolve) => {
      const frame = document.createElement("iframe");
      frame.src = src;
      frame.onload = () => setTimeout(resolve, 200);
      document.body.append(frame);
    }), [`${origin}/test/forger.html#${encodeURIComponent(JSON.stringify(message))}`]);
  };
  // The right nonce from another origin; the wrong nonce from the platform's own.
  await forge(OTHER_ORIGIN, { creator: "cr_linxiaoman", nonce, state: "following" });
  await forge(BASE, { creator: "cr_linxiaoman", nonce: "0".repeat(32), state: "following" });
  await forge(BASE, { creator: "cr_mayachen", nonce, state: "following" });
  assert.equal((await followState(page)).state, "pending", "no forgery was believed");
  await popup.close();
  await waitState(page, "follow");
  await page.reload();
  await waitState(page, "follow");
  assert.equal(await page.evaluate(() => localStorage.getItem("vitrine.follow.cr_linxiaoman")), null);
  await context.close();
});

test("a follow posted from another site is refused", async () => {
  const context = await browser.newContext();
  const page = await open(null, { context });
  // Signed in on the platform...
  await page.goto(`${BASE}/signin?next=/`);
  await page.fill("input[type=email]", "meimei@vitrine.demo");
  await page.fill("input[type=password]", "vitrine-demo");
  await page.getByRole("button", { name: "登录 · Sign in" }).click();
  const count = await followers("cr_mayachen");
  // ...then another site (no policy of its own) submits a follow form to it.
  const fields = { creator: "cr_mayachen", nonce: "n0nce-forged", origin: "http://evil.example", csrf: "0".repeat(64), action: "follow" };
  const inputs = Object.entries(fields).map(([n, v]) => `<input name="${n}" value="${v}">`).join("");
  await context.route("http://evil.example/**", (route) => route.fulfill({
    contentType: "text/html",
    body: `<form method="post" action="${BASE}/intent/follow">${inputs}</form><script>document.forms[0].submit()</script>`,
  }));
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${BASE}/intent/follow` && r.request().method() === "POST"),
    page.goto("http://evil.example/"),
  ]);
  assert.ok([401, 403].includes(response.status()), `refused with ${response.status()}`);
  assert.equal(await followers("cr_mayachen"), count, "nothing was followed");
  await context.close();
});

test("where popups are blocked, the follow link opens a tab and the answer still comes back", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // A popup blocker: window.open gives nothing.
  await context.addInitScript(() => { window.open = () => null; });
  const page = await open("/blog.html", { context });
  await waitState(page, "follow");
  const count = await followers("cr_linxiaoman");
  const [tab] = await Promise.all([context.waitForEvent("page"), page.locator("#follow-lin").locator("[part=follow]").click()]);
  await signInAndFollow(tab, "alex@vitrine.demo");
  await waitState(page, "following");
  assert.equal(await followers("cr_linxiaoman"), count + 1);
  await context.close();
});

test("sizes, the count-less variant and English compact counts", async () => {
  const page = await open("/test/fixtures.html");
  await page.evaluate(() => {
    for (const [id, attrs] of [["small", {}], ["large", { size: "large" }], ["bare", { count: "none" }], ["en", { locale: "en" }]]) {
      const el = document.createElement("vitrine-follow");
      el.id = id;
      el.setAttribute("creator", "cr_mayachen");
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
      document.getElementById("stage").append(el);
    }
  });
  for (const id of ["#small", "#large", "#bare", "#en"]) await waitState(page, "follow", id);
  const [small, large, bare, en] = await Promise.all(["#small", "#large", "#bare", "#en"].map((s) => followState(page, s)));
  assert.ok(large.box.height > small.box.height && large.box.width > small.box.width);
  assert.equal(small.count, "4.52万 位关注者");
  assert.equal(en.count, "45.2K followers");
  assert.equal(en.label, "Follow");
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector("#bare").shadowRoot.querySelector("[part=count]")).display), "none");
  assert.equal(bare.box.height, small.box.height);
  await page.close();
});

test("the card's byline follows the creator the same way", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await open("/blog.html", { context });
  await page.waitForFunction(() => document.querySelector("#pick-tea").shadowRoot?.querySelector("[part=follow][href]"));
  const byline = () => page.evaluate(() => {
    const a = document.querySelector("#pick-tea").shadowRoot.querySelector("[part=follow]");
    return { text: a.textContent, state: a.dataset.follow };
  });
  assert.deepEqual(await byline(), { text: "关注", state: "follow" });
  const count = await followers("cr_chenmo");
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.locator("#pick-tea").locator("[part=follow]").click()]);
  assert.deepEqual(await byline(), { text: "关注中…", state: "pending" });
  await signInAndFollow(popup, "xiaowang@vitrine.demo");
  await page.waitForFunction(() =>
    document.querySelector("#pick-tea").shadowRoot.querySelector("[part=follow]").dataset.follow === "following");
  assert.deepEqual(await byline(), { text: "已关注", state: "following" });
  assert.equal(await followers("cr_chenmo"), count + 1);
  await page.reload();
  await page.waitForFunction(() =>
    document.querySelector("#pick-tea").shadowRoot?.querySelector("[part=follow]")?.dataset.follow === "following");
  await context.close();
});

test("from a truly third-party site: the SDK loaded cross-origin, the answer posted back to that site", async () => {
  // Another origin and another site (localhost vs 127.0.0.1). Chromium asks a
  // reader before a page it cannot place reaches the local network (here the
  // loopback platform); this reader said yes.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, permissions: ["local-network-access"] });
  const blog = `${OTHER_ORIGIN}/elsewhere.html`;
  await context.route(blog, (route) => route.fulfill({
    contentType: "text/html",
    body: `<!doctype html><meta charset="utf-8"><title>A blog elsewhere</title>
      <script type="module" src="${BASE}/pkg/vitrine.js"></script>
      <p>My favourite creator:</p><vitrine-follow id="far" creator="cr_linxiaoman"></vitrine-follow>`,
  }));
  const page = await open(blog, { context });
  await waitState(page, "follow", "#far");
  const count = await followers("cr_linxiaoman");
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.locator("#far").locator("[part=follow]").click()]);
  assert.ok(popup.url().endsWith("&origin=" + encodeURIComponent(OTHER_ORIGIN)), popup.url());
  await signInAndFollow(popup, "meimei@vitrine.demo");
  await waitState(page, "following", "#far");
  assert.equal(await followers("cr_linxiaoman"), count + 1);
  assert.equal(await page.evaluate(() => localStorage.getItem("vitrine.follow.cr_linxiaoman")), "1", "remembered by the blog's own site");
  await context.close();
});

test("a follow button for a creator the platform does not know shows nothing broken, and warns once", async () => {
  const page = await open("/test/fixtures.html");
  await page.evaluate(() => {
    const el = document.createElement("vitrine-follow");
    el.id = "ghost";
    el.setAttribute("creator", "cr_nobody_here");
    document.getElementById("stage").append(el);
  });
  await waitState(page, "error", "#ghost");
  const seen = await page.evaluate(() => {
    const root = document.querySelector("#ghost").shadowRoot;
    const visible = (part) => {
      const el = root.querySelector(`[part=${part}]`);
      const cs = getComputedStyle(el);
      return cs.visibility !== "hidden" && cs.display !== "none";
    };
    return { avatar: visible("avatar"), verified: visible("verified"), button: visible("follow") };
  });
  assert.deepEqual(seen, { avatar: false, verified: false, button: false }, "no empty picture, no stray badge, no button");
  assert.equal(page.warnings.filter((w) => w.includes("cr_nobody_here")).length, 1, page.warnings.join("\n"));
  await page.screenshot({ path: ARTIFACTS + "/follow-unknown.png" });
  await page.close();
});

test("the follow button's box is there before its code: nothing moves, small or large", async () => {
  // The button's chunk and the creator's answer both come late; the host's
  // box (the shell's reservation, then the skeleton, then the button) never
  // changes, and the text after it never moves. (The SDK's tag blocks the
  // first render, as the blog's does: before the module runs, no element
  // has a box at all.)
  const page = await open(null, {
    route: async (p) => {
      await recordShifts(p);
      for (const slow of ["**/pkg/vitrine-follow.js", "**/v1/creators/*"]) {
        await p.route(slow, async (route) => {
          await new Promise((r) => setTimeout(r, 500));
          await route.continue();
        });
      }
      await p.route(BASE + "/follow-inline.html", (route) => route.fulfill({
        contentType: "text/html",
        body: `<!doctype html><meta charset="utf-8"><title>Inline follow buttons</title>
          <script type="module" src="/pkg/vitrine.js" blocking="render"></script>
          <p>Follow <vitrine-follow id="small" creator="cr_linxiaoman"></vitrine-follow> and
          <vitrine-follow id="large" size="large" count="none" creator="cr_mayachen"></vitrine-follow>
          <span id="after">then read on.</span></p>`,
      }));
    },
  });
  await page.goto(BASE + "/follow-inline.html");
  await page.waitForFunction(() => document.querySelector("#large")?.shadowRoot);
  const boxes = () => page.evaluate(() => ["#small", "#large", "#after"].map((sel) => {
    const el = document.querySelector(sel);
    return { rect: el.getBoundingClientRect().toJSON(), drawn: !!el.shadowRoot?.querySelector(".follow") };
  }));
  const reserved = await boxes();
  assert.deepEqual(reserved.map((b) => b.drawn), [false, false, false], "the button's code is not here yet");
  assert.deepEqual([reserved[0].rect.width, reserved[0].rect.height, reserved[1].rect.width, reserved[1].rect.height], [232, 44, 300, 60]);
  await page.waitForFunction(() => ["#small", "#large"].every((sel) =>
    ["follow", "following"].includes(document.querySelector(sel).shadowRoot?.querySelector(".follow")?.dataset.state)));
  const drawn = await boxes();
  assert.deepEqual(drawn.map((b) => b.rect), reserved.map((b) => b.rect), "the same boxes, drawn");
  assert.deepEqual(drawn.map((b) => b.drawn), [true, true, false]);
  assert.deepEqual(await page.evaluate(() => window.__shifts), [], "nothing moved");
  await page.close();
});
