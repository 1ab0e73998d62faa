// The network helpers: URLs as the core builds them, and one request per URL.
import { test, mock } from "node:test";
import assert from "node:assert/strict";
import { platformOf, encoded, fetchJson, prefetch } from "../../pkg-template/net.js";

test("encoded escapes as the core does: everything but RFC 3986's unreserved characters", () => {
  assert.equal(encoded("itm_ceramic-mug.2~"), "itm_ceramic-mug.2~");
  assert.equal(encoded("a b/c?d&e=f#g"), "a%20b%2Fc%3Fd%26e%3Df%23g");
  // encodeURIComponent keeps these five; the core does not.
  assert.equal(encoded("!'()*"), "%21%27%28%29%2A");
  assert.equal(encoded("杯子"), "%E6%9D%AF%E5%AD%90");
  assert.equal(encoded("https://detail.tmall.com/item.htm?id=1"), "https%3A%2F%2Fdetail.tmall.com%2Fitem.htm%3Fid%3D1");
});

test("platformOf is the option as a string, without trailing slashes", () => {
  assert.equal(platformOf({ platform: "https://vitrine.example//" }), "https://vitrine.example");
  assert.equal(platformOf({ platform: "https://vitrine.example/base/" }), "https://vitrine.example/base");
  assert.equal(platformOf({ platform: new URL("https://vitrine.example") }), "https://vitrine.example");
});

/** Replaces `fetch` for one test: `answer(url)` gives each response (or throws, as a network failure). */
function fakeFetch(t, answer) {
  const calls = [];
  t.mock.method(globalThis, "fetch", async (url, init) => {
    calls.push({ url, init });
    return answer(url);
  });
  return calls;
}
const json = (status, body) => ({ ok: status >= 200 && status < 300, status, json: async () => body });

test("fetchJson asks once per URL while a request is on its way, without cookies", async (t) => {
  const calls = fakeFetch(t, () => json(200, { id: "itm_a" }));
  const [a, b] = await Promise.all([fetchJson("https://p.example/v1/items/a"), fetchJson("https://p.example/v1/items/a")]);
  assert.deepEqual(a, [200, { id: "itm_a" }]);
  assert.equal(a, b, "the same answer");
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0].init, { mode: "cors", credentials: "omit" });
  // Answered: the next asks again.
  await fetchJson("https://p.example/v1/items/a");
  assert.equal(calls.length, 2);
});

test("fetchJson's answer is [status, body]: no body unless a 2xx gave JSON, status 0 when the network failed", async (t) => {
  fakeFetch(t, (url) => {
    if (url.endsWith("/missing")) return json(404, { reason: "unknown item" });
    if (url.endsWith("/garbled")) return { ok: true, status: 200, json: async () => { throw new SyntaxError("bad JSON"); } };
    throw new TypeError("Failed to fetch");
  });
  assert.deepEqual(await fetchJson("https://p.example/missing"), [404, undefined]);
  assert.deepEqual(await fetchJson("https://p.example/garbled"), [200, undefined]);
  assert.deepEqual(await fetchJson("https://p.example/offline"), [0, undefined]);
});

test("prefetch's answer goes to the first render that asks for its URL, and is dropped after ten seconds", async (t) => {
  mock.timers.enable({ apis: ["setTimeout"] });
  t.after(() => mock.timers.reset());
  const calls = fakeFetch(t, (url) => json(200, { url }));
  const options = { platform: "https://p.example/" };
  prefetch(options, "/v1/creators/c1");
  prefetch(options, "/v1/creators/c1");
  assert.deepEqual(calls.map((call) => call.url), ["https://p.example/v1/creators/c1"], "asked once");
  assert.deepEqual(await fetchJson("https://p.example/v1/creators/c1"), [200, { url: "https://p.example/v1/creators/c1" }]);
  assert.equal(calls.length, 1, "the render took the early answer");
  await fetchJson("https://p.example/v1/creators/c1");
  assert.equal(calls.length, 2, "claimed once only");

  prefetch(options, "/v1/creators/c2");
  await new Promise(setImmediate); // answered, and no longer on its way
  mock.timers.tick(9_999);
  await fetchJson("https://p.example/v1/creators/c2");
  assert.equal(calls.length, 3, "still kept for the render");
  prefetch(options, "/v1/creators/c3");
  await new Promise(setImmediate);
  mock.timers.tick(10_000);
  await fetchJson("https://p.example/v1/creators/c3");
  assert.equal(calls.length, 5, "unclaimed for ten seconds: dropped, and asked again");
});
