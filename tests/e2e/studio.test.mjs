// The creator studio, as a creator uses it: sign in, paste a link, upload a
// picture, watch the SDK's preview, publish, copy the snippet into a page on
// another site, and see the card there; then edit and unpublish it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { crc32, deflateSync } from "node:zlib";
import { BASE, ARTIFACTS, browser, open, readCard, settled } from "./helpers.mjs";

const OTHER_ORIGIN = BASE.replace("127.0.0.1", "localhost");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe-core's violations on the page as it is now. */
async function violations(page) {
  await page.evaluate(AXE);
  return page.evaluate(async () =>
    (await window.axe.run(document, { resultTypes: ["violations"] })).violations.map((v) =>
      `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`));
}

/** A real PNG (a warm gradient), made here rather than kept as a fixture. */
function png(size = 96) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = [0];
    for (let x = 0; x < size; x++) row.push(200 + (x * 55) / size, 120 + (y * 80) / size, 80);
    rows.push(Buffer.from(row));
  }
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0))]);
}

async function signIn(page, email) {
  await page.goto(`${BASE}/studio`);
  assert.match(page.url(), /\/signin\?next=%2Fstudio$/, "the studio asks who you are");
  await page.fill("input[type=email]", email);
  await page.fill("input[type=password]", "vitrine-demo");
  await page.getByRole("button", { name: "登录 · Sign in" }).click();
  await page.waitForURL(`${BASE}/studio`);
}

const previewState = (page) =>
  page.evaluate(() => document.querySelector("#preview").shadowRoot?.querySelector("[part=card]")?.dataset.state);

test("a creator publishes a pick in the studio, pastes its snippet on another site, and sees the card", async () => {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    permissions: ["clipboard-read", "clipboard-write", "local-network-access"],
  });
  const studio = await open(null, { context });
  await signIn(studio, "lin@vitrine.demo");
  await studio.getByRole("link", { name: /New pick/ }).click();
  await studio.waitForURL(`${BASE}/studio/new`);

  // A link no partner claims is refused, with the reason.
  const linkHint = studio.locator("#link-hint");
  await studio.fill("#link", "https://item.taobao.com.evil.example/item.htm?id=681234567890");
  await studio.waitForFunction(() => document.querySelector("#link-hint").dataset.state === "bad");
  assert.match(await linkHint.textContent(), /This is not a store the platform works with \(Taobao, Tmall, Weidian, JD\)/);
  assert.equal(await studio.getAttribute("#link", "aria-invalid"), "true");
  // A real one, in a messy form, is recognised and shown canonical.
  await studio.fill("#link", "http://item.taobao.com/item.htm?spm=a21bo.1&id=681234567890&scm=1007");
  await studio.waitForFunction(() => document.querySelector("#link-hint").dataset.state === "ok");
  assert.equal(await linkHint.textContent(), "✓ 淘宝 · Taobao · https://item.taobao.com/item.htm?id=681234567890");

  // A text file named .jpg is refused by its content; a real PNG is taken.
  const pictureHint = studio.locator("#picture-hint");
  await studio.setInputFiles("#picture", { name: "photo.jpg", mimeType: "image/jpeg", buffer: Buffer.from("not a picture at all\n") });
  await studio.waitForFunction(() => document.querySelector("#picture-hint").dataset.state === "bad");
  assert.match(await pictureHint.textContent(), /not a JPEG, PNG, WebP or GIF picture \(judged by its content, not its name\)/);
  await studio.setInputFiles("#picture", { name: "kettle.png", mimeType: "image/png", buffer: png() });
  await studio.waitForFunction(() => document.querySelector("#picture-hint").dataset.state === "ok");
  const picture = await studio.inputValue("#image");
  assert.match(picture, /^\/media\/up-[0-9a-f]{24}\.png$/);

  // The preview is the SDK's own card, and says what it still needs.
  await studio.waitForFunction(() => /Not ready yet: 标题 · Title/.test(document.querySelector("#preview-hint").textContent));
  const title = "细口手冲壶 600ml · 温控";
  await studio.fill("#title", title);
  await studio.fill("#reason", "每天早上用它冲咖啡，水流稳，握柄不烫手。");
  await studio.fill("#price", "159");
  await studio.fill("#original_price", "199.00");
  await studio.fill("#stock", "12");
  await studio.waitForFunction(() => document.querySelector("#preview").shadowRoot?.querySelector("[part=card]")?.dataset.state === "ready");
  const preview = await readCard(studio, "#preview");
  assert.equal(preview.title, title);
  assert.equal(preview.image, BASE + picture);
  assert.equal(await studio.locator("#preview-hint").textContent(), "");
  await studio.screenshot({ path: ARTIFACTS + "/studio-editor.png", fullPage: true });
  assert.deepEqual(await violations(studio), [], "the editor, with its preview, is accessible");
  // Typing shows at once; a broken price puts the fallback back, named.
  await studio.fill("#price", "1,59");
  await studio.waitForFunction(() => /价格 · Price must be/.test(document.querySelector("#preview-hint").textContent));
  assert.equal(await previewState(studio), "error");
  await studio.fill("#price", "159");

  await studio.getByRole("button", { name: "发布 · Publish" }).click();
  await studio.waitForURL(/\/studio\/items\/itm_[0-9a-f]{16}\?saved$/);
  const id = studio.url().match(/items\/(itm_[0-9a-f]+)/)[1];
  assert.equal(await studio.locator(".saved").textContent(), "已保存 · Saved");

  // Copy the one-tag snippet, as the creator would, and paste it into a blog
  // on another site.
  await studio.locator("button[data-copy=snippet-tag]").click();
  await studio.waitForFunction(() => document.querySelector("button[data-copy=snippet-tag]").textContent === "已复制 · Copied");
  const snippet = await studio.evaluate(() => navigator.clipboard.readText());
  assert.ok(snippet.includes(`<vitrine-card item="${id}"></vitrine-card>`), snippet);
  await studio.screenshot({ path: ARTIFACTS + "/studio-saved.png", fullPage: true });
  assert.deepEqual(await violations(studio), [], "the saved pick with its snippet is accessible");
  const blog = `${OTHER_ORIGIN}/my-morning-coffee.html`;
  await context.route(blog, (route) => route.fulfill({
    contentType: "text/html",
    body: `<!doctype html><meta charset="utf-8"><title>My morning coffee</title><p>What I brew with:</p>\n${snippet}\n<p>More soon.</p>`,
  }));
  const page = await open(blog, { context });
  await settled(page, 1);
  const card = await readCard(page, `vitrine-card[item="${id}"]`);
  assert.equal(card.state, "ready");
  assert.equal(card.title, title);
  assert.equal(card.image, BASE + picture);
  assert.match(card.price, /159/);
  assert.match(card.buy.href, /^https:\/\/item\.taobao\.com\/item\.htm\?id=681234567890&/);
  assert.deepEqual(page.warnings, []);

  // Edited in the studio: the page shows the new words on its next load.
  await studio.fill("#title", title + " · 新版");
  await studio.getByRole("button", { name: "保存 · Save" }).click();
  await studio.waitForURL(/\?saved$/);
  await page.reload();
  await settled(page, 1);
  assert.equal((await readCard(page, `vitrine-card[item="${id}"]`)).title, title + " · 新版");

  // Unpublished: the page shows the fallback, not what it showed before.
  await studio.getByRole("button", { name: "取消发布 · Unpublish" }).click();
  await studio.locator(".notice").waitFor();
  await page.reload();
  await settled(page, 1);
  const gone = await readCard(page, `vitrine-card[item="${id}"]`);
  assert.equal(gone.state, "error");
  assert.notEqual(gone.title, title + " · 新版");
  await studio.goto(`${BASE}/studio`);
  assert.match(await studio.locator(".items li", { hasText: title }).textContent(), /未发布 · Unpublished/);
  await studio.screenshot({ path: ARTIFACTS + "/studio-list.png", fullPage: true });
  assert.deepEqual(await violations(studio), [], "the list is accessible");
  // Everything ran under the strict CSP: nothing was refused.
  assert.deepEqual(studio.consoleErrors.filter((e) => /Content Security Policy/.test(e)), []);
  await context.close();
});

test("saving without JavaScript's checks: the platform names every field to fix and keeps the draft", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const studio = await open(null, { context });
  await signIn(studio, "maya@vitrine.demo");
  await studio.goto(`${BASE}/studio/new`);
  await studio.fill("#link", "https://shop123.taobao.com/");
  await studio.fill("#title", "A keyboard I love");
  await studio.fill("#price", "-5");
  const [response] = await Promise.all([
    studio.waitForResponse((r) => r.url() === `${BASE}/studio/items`),
    studio.getByRole("button", { name: "发布 · Publish" }).click(),
  ]);
  assert.equal(response.status(), 422);
  const summary = await studio.locator(".summary li").allTextContents();
  assert.equal(summary.length, 4, summary.join("\n"));
  assert.match(summary[0], /not a product's page/);
  assert.match(summary[1], /Upload a picture/);
  assert.match(summary[2], /推荐理由 · Why you recommend it must be a non-empty string/);
  assert.match(summary[3], /价格 · Price must be a non-negative decimal string/);
  assert.equal(await studio.inputValue("#title"), "A keyboard I love", "the draft is kept");
  assert.equal(await studio.getAttribute("#price", "aria-invalid"), "true");
  assert.deepEqual(await violations(studio), [], "the refused form is accessible");
  // The summary's links take the keyboard to the field.
  await studio.locator(".summary a").nth(3).click();
  assert.equal(await studio.evaluate(() => location.hash), "#price");
  await context.close();
});
