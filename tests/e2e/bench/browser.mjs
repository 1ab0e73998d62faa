// The browser half of `cargo xtask bench`, in headless Chromium over
// loopback: time to first card against a plain-JS floor (cold and warm
// cache), many cards on one page (time, long tasks, memory, and whether it
// all comes back), and layout shift. Both sides of a ratio load from the same
// server, with the same browser flags, interleaved. Prints tables and writes
// the figures as JSON.
//
//   node bench/browser.mjs BASE_URL OUT.json [--quick]
//
// --quick runs a few loads of each, to check the harness itself works.
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";

const [base, out] = process.argv.slice(2);
if (!base || !out) throw new Error("usage: node bench/browser.mjs BASE_URL OUT.json [--quick]");
const quick = process.argv.includes("--quick");
const LOADS = quick ? 3 : Number(process.env.LOADS ?? 21);
const SCALES = quick ? [1, 20] : [1, 100, 1000];
const CLS_RUNS = quick ? 1 : 5;
// An ordinary Chrome's user agent: the platform filters "HeadlessChrome"
// as invalid traffic, and the event → dashboard figure waits for counted events.
const AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", `--user-agent=${AGENT}`];

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: FLAGS });

const stats = (values) => {
  const v = [...values].sort((a, b) => a - b);
  const at = (q) => v[Math.min(v.length - 1, Math.floor(q * v.length))];
  return { n: v.length, min: v[0], median: at(0.5), p90: at(0.9), max: v[v.length - 1] };
};
const ms = (x) => (x === undefined ? "–" : x.toFixed(1));

// ---- Time to first card ------------------------------------------------------

/** Installed before the page's own scripts: resolves with the time (from
 * navigation start) of the first animation frame in which the card shows its
 * content, i.e. the frame that paints it. */
function watchFirstCard() {
  window.__firstCard = new Promise((resolve) => {
    const frame = (t) => {
      const card = document.querySelector("vitrine-card, plain-card")?.shadowRoot?.querySelector("[part=card]");
      if (card?.dataset.state === "ready" && card.querySelector(".title")?.textContent) resolve(t);
      else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
}

async function firstCard(page, path) {
  await page.goto(base + path);
  return page.evaluate(() => window.__firstCard);
}

const SIDES = { sdk: "/bench/first-card.html", floor: "/bench/floor.html" };

async function coldLoads() {
  const times = { sdk: [], floor: [] };
  for (let i = 0; i < LOADS; i++) {
    for (const [side, path] of Object.entries(SIDES)) {
      // A fresh context each time: an empty HTTP cache, nothing compiled.
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.addInitScript(watchFirstCard);
      times[side].push(await firstCard(page, path));
      await context.close();
    }
  }
  return times;
}

async function warmLoads() {
  const times = { sdk: [], floor: [] };
  for (const [side, path] of Object.entries(SIDES)) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(watchFirstCard);
    await firstCard(page, path); // primes the cache
    await firstCard(page, path);
    for (let i = 0; i < LOADS; i++) times[side].push(await firstCard(page, path));
    await context.close();
  }
  return times;
}

// ---- Many cards on one page --------------------------------------------------

function watchPage() {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push(e.duration);
  }).observe({ type: "longtask", buffered: true });
  // The SDK's wasm memory, seen as the page instantiates it.
  const keep = (orig) => async function (...args) {
    const result = await orig.apply(this, args);
    window.__wasmMemory = (result.instance ?? result).exports?.memory;
    return result;
  };
  WebAssembly.instantiateStreaming = keep(WebAssembly.instantiateStreaming);
  WebAssembly.instantiate = keep(WebAssembly.instantiate);
}

async function scale() {
  const rows = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(watchPage);
  await page.goto(base + "/bench/scale.html");
  await page.waitForFunction(() => window.benchReady);
  const cdp = await page.context().newCDPSession(page);
  const heap = async () => {
    await cdp.send("HeapProfiler.collectGarbage");
    return (await cdp.send("Runtime.getHeapUsage")).usedSize;
  };
  const wasm = () => page.evaluate(() => window.__wasmMemory?.buffer.byteLength ?? 0);
  const nodes = async () => (await cdp.send("Memory.getDOMCounters")).nodes;
  // Warm the wasm up once, so the first row is not its start-up.
  await page.evaluate(() => window.bench.mount(1));
  await page.evaluate(() => window.bench.destroy());
  for (const n of SCALES) {
    const cycles = [];
    for (let cycle = 0; cycle < 2; cycle++) {
      const before = await heap();
      const nodesBefore = await nodes();
      await page.evaluate(() => (window.__longTasks = []));
      const time = await page.evaluate((n) => window.bench.mount(n), n);
      // Long-task entries are delivered a little after the task.
      await page.waitForTimeout(300);
      const longTasks = await page.evaluate(() => window.__longTasks);
      const mounted = await heap();
      const wasmMounted = await wasm();
      await page.evaluate(() => window.bench.destroy());
      const after = await heap();
      cycles.push({ time, longTasks, before, mounted, after, wasmMounted, nodesBefore, nodesAfter: await nodes() });
    }
    const [first, second] = cycles;
    rows.push({
      cards: n,
      ms_to_all_painted: first.time,
      long_tasks: first.longTasks.length,
      longest_task_ms: Math.max(0, ...first.longTasks),
      js_heap_before: first.before,
      js_heap_mounted: first.mounted,
      js_heap_after_destroy: first.after,
      // What destroying left on the heap, against before mounting: the
      // first time (which includes the engine's one-time warm-up for this
      // many) and the second (what a leak would add every time).
      heap_left_pct: ((first.after - first.before) / first.before) * 100,
      heap_left_second_cycle_pct: ((second.after - second.before) / second.before) * 100,
      wasm_memory_mounted: first.wasmMounted,
      // Mounting the same again must not need more wasm memory: what was
      // freed is reused (linear memory never shrinks, so growth is a leak).
      wasm_memory_second_cycle: second.wasmMounted,
      js_heap_after_second_cycle: second.after,
      // DOM nodes left after destroying (the stage is emptied, so none should be).
      dom_nodes_left: second.nodesAfter - first.nodesBefore,
    });
  }
  await page.close();
  return rows;
}

// ---- Layout shift ------------------------------------------------------------

function watchShifts() {
  window.__cls = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
  }).observe({ type: "layout-shift", buffered: true });
}

async function cls(path, ready, { repeat = false } = {}) {
  const values = [];
  for (let i = 0; i < CLS_RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.addInitScript(watchShifts);
    await page.goto(base + path);
    await page.waitForFunction(ready);
    if (repeat) {
      await page.reload();
      await page.waitForFunction(ready);
    }
    await page.waitForTimeout(500);
    values.push(await page.evaluate(() => window.__cls));
    await context.close();
  }
  return values;
}

const cardsSettled = () => {
  const cards = [...document.querySelectorAll("vitrine-card")];
  return cards.length > 0 && cards.every((c) => ["ready", "error"].includes(c.shadowRoot?.querySelector("[part=card]")?.dataset.state));
};
const stripSettled = () =>
  ["ready", "empty", "error"].includes(document.querySelector("vitrine-proof")?.shadowRoot?.querySelector(".proof")?.dataset.state);

// ---- Event → dashboard -----------------------------------------------------------

/** ms from posting one event to the creator's dashboard page showing it. */
async function dashboard() {
  const page = await browser.newPage();
  // The report is the creator's own: sign in as Maya first.
  await page.goto(base + "/signin?next=" + encodeURIComponent("/dashboard?creator=cr_mayachen"));
  await page.fill("input[type=email]", "maya@vitrine.demo");
  await page.fill("input[type=password]", "vitrine-demo");
  await Promise.all([page.waitForURL(base + "/dashboard?creator=cr_mayachen"), page.click("form button")]);
  await page.waitForFunction(() => document.getElementById("status").dataset.live !== undefined);
  await page.waitForFunction(() => document.getElementById("dashboard").dataset.updated);
  const shown = () => page.evaluate(() => Number(document.querySelector("[data-total=impressions]").textContent));
  const hex = () => crypto.randomUUID().replaceAll("-", "");
  const values = [];
  for (let i = 0; i < (quick ? 2 : 20); i++) {
    const before = await shown();
    const event = {
      id: hex(), type: "impression", item: "itm_nc_headphones", creator: "cr_mayachen", placement: "bench",
      page: "https://blog.example/bench", ts: Date.now(), sdk: "bench", view: hex(),
    };
    const sent = performance.now();
    // As a reader's browser sends it (node's own user agent is filtered as a bot's).
    const response = await fetch(base + "/v1/events", {
      method: "POST", body: JSON.stringify([event]), headers: { "content-type": "text/plain", "user-agent": AGENT },
    });
    if (response.status !== 202) throw new Error(`bench: the collector answered ${response.status}`);
    await page.waitForFunction((n) => Number(document.querySelector("[data-total=impressions]").textContent) === n, before + 1);
    values.push(performance.now() - sent);
  }
  await page.close();
  return values;
}

// ---- Run ---------------------------------------------------------------------

const cold = await coldLoads();
const warm = await warmLoads();
const scaleRows = await scale();
const dashboardMs = await dashboard();
const shifts = {
  blog: await cls("/blog.html", cardsSettled),
  store_first_view: await cls("/store.html", stripSettled),
  store_repeat_view: await cls("/store.html", stripSettled, { repeat: true }),
  store_nobody_recommends: await cls("/store-plain.html", stripSettled),
};
await browser.close();

const firstCardStats = {};
for (const [mode, times] of Object.entries({ cold, warm })) {
  const sdk = stats(times.sdk);
  const floor = stats(times.floor);
  firstCardStats[mode] = { sdk, floor, ratio_median: sdk.median / floor.median };
}

console.log(`\nTime to first card, ms from navigation start to the frame painting it (${LOADS} loads each, loopback):\n`);
console.log(`${"".padEnd(18)} ${"min".padStart(8)} ${"median".padStart(8)} ${"p90".padStart(8)} ${"max".padStart(8)}   ratio (median)`);
for (const [mode, s] of Object.entries(firstCardStats)) {
  for (const side of ["sdk", "floor"]) {
    const x = s[side];
    const label = `${mode} ${side === "sdk" ? "Vitrine" : "plain JS"}`;
    const ratio = side === "sdk" ? `   ${s.ratio_median.toFixed(2)}×` : "";
    console.log(`${label.padEnd(18)} ${ms(x.min).padStart(8)} ${ms(x.median).padStart(8)} ${ms(x.p90).padStart(8)} ${ms(x.max).padStart(8)}${ratio}`);
  }
}

console.log("\nMany cards on one page (inline data):\n");
console.log(`${"cards".padStart(6)} ${"ms".padStart(8)} ${"long tasks".padStart(11)} ${"longest".padStart(8)} ${"JS heap MB".padStart(11)} ${"after destroy".padStart(14)} ${"2nd cycle".padStart(10)} ${"wasm MB".padStart(8)} ${"2nd cycle".padStart(10)} ${"nodes left".padStart(10)}`);
const mb = (b) => (b / 1048576).toFixed(2);
for (const r of scaleRows) {
  console.log(`${String(r.cards).padStart(6)} ${ms(r.ms_to_all_painted).padStart(8)} ${String(r.long_tasks).padStart(11)} ${ms(r.longest_task_ms).padStart(8)} ${mb(r.js_heap_mounted).padStart(11)} ${(mb(r.js_heap_after_destroy) + " (" + (r.heap_left_pct >= 0 ? "+" : "") + r.heap_left_pct.toFixed(1) + "%)").padStart(14)} ${((r.heap_left_second_cycle_pct >= 0 ? "+" : "") + r.heap_left_second_cycle_pct.toFixed(1) + "%").padStart(10)} ${mb(r.wasm_memory_mounted).padStart(8)} ${mb(r.wasm_memory_second_cycle).padStart(10)} ${String(r.dom_nodes_left).padStart(10)}`);
}
console.log("  (after destroy: the JS heap after garbage collection, against before mounting; the");
console.log("   2nd cycle mounts and destroys as many again: what a leak would add each time)");

console.log(`\nCumulative layout shift (${CLS_RUNS} runs each; min / median / max):\n`);
for (const [page, values] of Object.entries(shifts)) {
  const s = stats(values);
  console.log(`${page.padEnd(26)} ${s.min.toFixed(4)} / ${s.median.toFixed(4)} / ${s.max.toFixed(4)}`);
}

const d = stats(dashboardMs);
console.log(`\nEvent → dashboard page (POST to the number changing in Chromium, ${d.n} events): min ${ms(d.min)} / median ${ms(d.median)} / max ${ms(d.max)} ms`);

const report = {
  event_to_dashboard_ms: d,
  loads: LOADS,
  first_card_ms: firstCardStats,
  scale: scaleRows,
  cls: Object.fromEntries(Object.entries(shifts).map(([k, v]) => [k, stats(v)])),
};
// The harness checks itself: every figure is a real number.
const numbers = JSON.stringify(report, (k, v) => {
  if (typeof v === "number" && !Number.isFinite(v)) throw new Error(`bench: ${k} is not a finite number`);
  return v;
});
writeFileSync(out, numbers);
