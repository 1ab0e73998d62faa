// How the shell's modules fit the build: the placeholders xtask fills in,
// which module imports which glue, and what the strip's chunk is handed.
// (esbuild bundles vitrine.js with --splitting: a shell module imported by a
// chunk of its own as well would become a further chunk every page fetches.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";

const DIR = new URL("../../pkg-template/", import.meta.url);
const modules = Object.fromEntries(
  readdirSync(DIR).filter((name) => name.endsWith(".js") && name !== "vitrine.embed.js").map((name) => [name, readFileSync(new URL(name, DIR), "utf8")]),
);
/** The modules `source` imports statically (`import … from "./x.js"`, `export … from "./x.js"`, `import "./x.js"`). */
const imports = (source) => [...source.matchAll(/^(?:import|export)\s[^;]*?from\s+"\.\/([^"]+)"|^import\s+"\.\/([^"]+)"/gms)].map((m) => m[1] ?? m[2]);

test("every placeholder in the shell is one the build fills in", () => {
  const known = new Set(["CARD", "FOLLOW", "PROOF"].flatMap((name) => [`${name}_CSS`, `${name}_HTML`, `${name}_FIELDS`]).concat("SHEET_CSS", "PLAN_RS", "PLAN_US", "INTENT_NONCE", "INTENT_ORIGIN", "VIEWABLE_RATIO"));
  const used = new Map();
  for (const [name, source] of Object.entries(modules)) {
    // The build replaces each placeholder with its quotes: a placeholder must be a whole string literal.
    for (const [, placeholder] of source.matchAll(/__VITRINE_([A-Z_]+?)__/g)) {
      assert.ok(known.has(placeholder), `${name}: __VITRINE_${placeholder}__ is not one the build replaces`);
      assert.ok(source.includes(`"__VITRINE_${placeholder}__"`), `${name}: __VITRINE_${placeholder}__ is not a whole string literal`);
      used.set(placeholder, [...(used.get(placeholder) ?? []), name]);
    }
  }
  assert.deepEqual([...used.keys()].sort(), [...known].sort(), "each is used");
  assert.deepEqual(used.get("PROOF_FIELDS"), ["vitrine-proof.js"]);
  assert.deepEqual(used.get("FOLLOW_FIELDS"), ["vitrine-follow.js"]);
  assert.deepEqual(used.get("CARD_FIELDS"), ["look.js"]);
  assert.deepEqual(used.get("PLAN_RS"), ["plan.js"], "one definition of the separators");
  assert.deepEqual(used.get("PLAN_US"), ["plan.js"]);
  assert.deepEqual(used.get("INTENT_NONCE"), ["follow.js"], "one place builds a click's intent URL");
  assert.deepEqual(used.get("VIEWABLE_RATIO"), ["viewability.js"], "one place observes intersections");
});

test("every module the shell imports is beside it (or is a glue the build puts there)", () => {
  for (const [name, source] of Object.entries(modules)) {
    for (const target of imports(source)) {
      assert.ok(target in modules || target === "vitrine_wasm.js" || target === "vitrine_proof_wasm.js", `${name} imports ./${target}`);
    }
  }
});

test("only the entry imports the card's glue, and nothing imports the entry", () => {
  for (const [name, source] of Object.entries(modules)) {
    const targets = imports(source);
    assert.equal(targets.includes("vitrine_wasm.js"), name === "vitrine.js", name);
    assert.equal(targets.includes("vitrine.js"), false, name);
  }
});

// Each chunk of its own: the shell module that imports it (lazily), and the
// glue it imports (the follow button's rules are the card build's, which it
// is handed).
const CHUNKS = [
  { chunk: "vitrine-proof.js", by: "strip.js", glue: ["vitrine_proof_wasm.js"] },
  { chunk: "vitrine-follow.js", by: "follow-button.js", glue: [] },
  { chunk: "vitrine-sheet.js", by: "card.js", glue: [], handed: false },
];

for (const { chunk, by, glue, handed = true } of CHUNKS) {
  test(`${chunk} imports only its glue, and is imported only lazily, by ${by}`, () => {
    assert.deepEqual(imports(modules[chunk]), glue);
    for (const [name, source] of Object.entries(modules)) {
      assert.equal(imports(source).includes(chunk), false, `${name} imports ${chunk} statically`);
      for (const file of glue) if (name !== chunk) assert.equal(imports(source).includes(file), false, name);
    }
    assert.match(modules[by], new RegExp(`import\\("\\./${chunk.replace(".", "\\.")}"\\)`));
  });

  if (handed) test(`${chunk} is handed exactly the pieces it takes`, () => {
    const names = (list) => list.split(",").map((name) => name.trim()).filter(Boolean).sort();
    const handed = modules[by].match(/const shared = \{([^}]*)\}/);
    const taken = modules[chunk].match(/export function start\(\{([^}]*)\}\)/);
    assert.ok(handed && taken);
    assert.deepEqual(names(handed[1]), names(taken[1]));
  });
}
