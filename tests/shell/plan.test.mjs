// A plan (src/plan.rs) read and drawn: its header by name, the fields beyond
// the names, and each write on a fresh copy of the template.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { RS, US, parsePlan, draw, formatNumber, money } from "../../pkg-template/plan.js";
import { FakeElement, fakeKind, fakeHost } from "./fake.mjs";

const plan = (...records) => records.map((record) => record.join(US)).join(RS);

test("the header is read by name; missing fields are empty, extra ones are the rest", () => {
  const [head, writes] = parsePlan(plan(["ready", "/v1/items/a", "itm_a", "x", "y"]), ["state", "fetch", "item"]);
  assert.deepEqual(head, { state: "ready", fetch: "/v1/items/a", item: "itm_a", rest: ["x", "y"] });
  assert.deepEqual(writes, []);

  const [short] = parsePlan(plan(["error"]), ["state", "fetch", "problem"]);
  assert.deepEqual(short, { state: "error", fetch: "", problem: "", rest: [] });
});

test("each record after the header is one write, as its fields", () => {
  const [, writes] = parsePlan(plan(["ready"], ["t", "title", "A mug"], ["@"], ["a", "buy", "href", "https://s.example/1"]), ["state"]);
  assert.deepEqual(writes, [["t", "title", "A mug"], ["@"], ["a", "buy", "href", "https://s.example/1"]]);
});

test("with the build's separators (the placeholders replaced as xtask does), plans split on \\x1e and \\x1f", async () => {
  const source = await readFile(new URL("../../pkg-template/plan.js", import.meta.url), "utf8");
  assert.ok(source.includes('"__VITRINE_PLAN_RS__"') && source.includes('"__VITRINE_PLAN_US__"'), "plan.js names both separators by their placeholder");
  const dir = await mkdtemp(join(tmpdir(), "vitrine-plan-"));
  const built = source.replaceAll('"__VITRINE_PLAN_RS__"', JSON.stringify("\x1e")).replaceAll('"__VITRINE_PLAN_US__"', JSON.stringify("\x1f"));
  await writeFile(join(dir, "plan.js"), built);
  const shipped = await import(pathToFileURL(join(dir, "plan.js")).href);
  assert.equal(shipped.RS, "\x1e");
  assert.equal(shipped.US, "\x1f");
  const [head, writes] = shipped.parsePlan("ready\x1f\x1fc1\x1et\x1ftitle\x1fA mug", ["state", "fetch", "creator"]);
  assert.deepEqual(head, { state: "ready", fetch: "", creator: "c1", rest: [] });
  assert.deepEqual(writes, [["t", "title", "A mug"]]);
});

/** The card-like template the drawing tests write on. */
function template() {
  return new FakeElement("card", [
    new FakeElement("title"),
    new FakeElement("price"),
    new FakeElement("original"),
    new FakeElement("count"),
    new FakeElement("picks", [new FakeElement("pick", [new FakeElement("name")])]),
    new FakeElement("buy"),
  ]);
}

test("draw writes text, attributes and formatted numbers on a fresh copy of the template, and returns the header", (t) => {
  const warn = t.mock.method(console, "warn", () => {});
  const root = template();
  root.find("buy").setAttribute("data-pending", "");
  const kind = fakeKind(root, ["state", "fetch"]);
  const host = fakeHost();
  const head = draw(host, kind, plan(
    ["ready", "", "extra"],
    ["t", "title", "A <b>mug</b>"],
    ["a", "buy", "href", "https://store.example/1"],
    ["u", "buy", "data-pending"],
    ["r", "original"],
    ["m", "price", "en", "USD", "12.50"],
    ["n", "count", "en", "12345", "2", " followers"],
    ["t", "absent", "written nowhere"],
  ));
  assert.deepEqual(head, { state: "ready", fetch: "", rest: ["extra"] });
  const drawn = host.shadowRoot.content;
  assert.notEqual(drawn, root, "a copy, not the template itself");
  assert.equal(root.find("title").textContent, "", "the template is untouched");
  assert.equal(drawn.find("title").textContent, "A <b>mug</b>", "text stays text");
  assert.equal(drawn.find("buy").getAttribute("href"), "https://store.example/1");
  assert.equal(drawn.find("buy").hasAttribute("data-pending"), false);
  assert.equal(drawn.find("original"), undefined);
  assert.equal(drawn.find("price").textContent, "$12.50");
  assert.equal(drawn.find("count").textContent, "12K followers");
  assert.equal(warn.mock.callCount(), 0);
});

test("draw's scopes: `+` appends a copy of a row and writes in it, `@` goes back to the root, `s` writes inside one element", () => {
  const host = fakeHost();
  draw(host, fakeKind(template(), ["state"]), plan(
    ["ready"],
    ["t", "name", "first"],
    ["+", "picks", "pick"],
    ["t", "name", "second"],
    ["+", "picks", "pick"],
    ["t", "name", "third"],
    ["@"],
    ["t", "title", "back at the root"],
    ["s", "buy"],
    ["t", "", "Buy"],
    ["a", "", "aria-label", "Buy the mug"],
  ));
  const drawn = host.shadowRoot.content;
  assert.deepEqual(drawn.find("picks").children.map((row) => row.textContent), ["first", "second", "third"]);
  assert.equal(drawn.find("title").textContent, "back at the root");
  assert.equal(drawn.find("buy").textContent, "Buy");
  assert.equal(drawn.find("buy").getAttribute("aria-label"), "Buy the mug");
});

test("a plan's warning or problem is said once on the console", (t) => {
  const warn = t.mock.method(console, "warn", () => {});
  draw(fakeHost(), fakeKind(template(), ["state", "problem", "warning"]), plan(["ready", "", "the picture is not https"]));
  draw(fakeHost(), fakeKind(template(), ["state", "problem", "warning"]), plan(["error", "no such item", ""]));
  assert.deepEqual(warn.mock.calls.map((call) => call.arguments), [["vitrine: the picture is not https"], ["vitrine: no such item"]]);
});

test("numbers are formatted from their decimal string exactly, and money falls back to the code and amount", () => {
  assert.equal(formatNumber("en", {}, "12345678901234567.89"), "12,345,678,901,234,567.89");
  assert.equal(formatNumber("en", { notation: "compact", maximumSignificantDigits: 2 }, "1250"), "1.3K");
  assert.equal(money("zh-CN", "CNY", "89"), "¥89.00");
  assert.equal(money("en", "NOT-A-CURRENCY", "12.50"), "NOT-A-CURRENCY 12.50");
});
