// The npm package as its users meet it: exactly the right files in the
// tarball, strict TypeScript over the public types, and a real consumer
// (a throwaway Vite app that installs the packed tarball, builds, and shows
// a card in Chromium).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, extname, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { BASE, open } from "./helpers.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const PKG = join(HERE, "../../pkg");

test("npm pack holds exactly what the package needs", () => {
  const [packed] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: PKG, encoding: "utf8" }));
  assert.deepEqual(packed.files.map((f) => f.path).sort(), [
    "README.md", "package.json", "vitrine-follow.js", "vitrine-proof.js", "vitrine-sheet.js", "vitrine.d.ts", "vitrine.embed.js", "vitrine.js",
    "vitrine_proof_wasm_bg.wasm", "vitrine_wasm_bg.wasm",
  ]);
  assert.equal(packed.name, "@vitrine/sdk");
  const manifest = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8"));
  assert.match(manifest.version, /^\d+\.\d+\.\d+$/);
  assert.deepEqual(manifest.exports["."], { types: "./vitrine.d.ts", import: "./vitrine.js", default: "./vitrine.js" });
});

test("the public types hold under tsc --strict (misuse is rejected)", () => {
  execFileSync(process.execPath, [join(HERE, "node_modules/typescript/bin/tsc"), "-p", join(HERE, "types/tsconfig.json")], { encoding: "utf8" });
});

test("a Vite app installs the packed tarball, builds, and shows a card and a strip (its lazy chunk and wasm)", async () => {
  const app = mkdtempSync(join(tmpdir(), "vitrine-vite-"));
  execFileSync("npm", ["pack", "--pack-destination", app], { cwd: PKG, stdio: "ignore" });
  const tarball = execFileSync("ls", [app], { encoding: "utf8" }).split("\n").find((f) => f.endsWith(".tgz"));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--offline", join(app, tarball)], { cwd: app, stdio: "ignore" });
  writeFileSync(join(app, "index.html"), `<!doctype html><meta charset="utf-8"><title>consumer</title><div id="pick"></div><div id="proof"></div><script type="module" src="/main.js"></script>`);
  writeFileSync(join(app, "main.js"), `import { mountCard, mountProof } from "@vitrine/sdk";\nmountCard(document.getElementById("pick"), { itemId: "itm_ceramic_mug", platform: ${JSON.stringify(BASE)}, locale: "en" });\nmountProof(document.getElementById("proof"), { url: "https://detail.tmall.com/item.htm?id=589123456789", platform: ${JSON.stringify(BASE)}, locale: "en" });\n`);
  execFileSync(process.execPath, [join(HERE, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: app, stdio: "inherit" });
  assert.ok(existsSync(join(app, "dist/index.html")));
  // Serve the build from another origin than the platform.
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
  const server = createServer((req, res) => {
    const path = join(app, "dist", req.url === "/" ? "index.html" : req.url.split("?")[0]);
    if (!existsSync(path)) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" }).end(readFileSync(path));
  });
  await new Promise((resolve) => server.listen(0, "localhost", resolve));
  const page = await open(`http://localhost:${server.address().port}/`);
  await page.waitForFunction(() => document.getElementById("pick").shadowRoot?.querySelector("[data-state=ready]"), null, { timeout: 15_000 });
  const buy = await page.evaluate(() => document.getElementById("pick").shadowRoot.querySelector("[part=buy]").textContent);
  assert.equal(buy, "Buy on Taobao");
  await page.waitForFunction(() => document.getElementById("proof").shadowRoot?.querySelector("[data-state=ready]"), null, { timeout: 15_000 });
  const count = await page.evaluate(() => document.getElementById("proof").shadowRoot.querySelector("[part=count]").textContent);
  assert.match(count, /^Recommended by \d+ creators$/);
  assert.deepEqual(page.errors, []);
  await page.close();
  server.close();
});
