// An element's options: its attributes as options, read over the page's
// defaults (the SDK's own, then configure's).
import { test } from "node:test";
import assert from "node:assert/strict";
import { setDefaults, merged } from "../../pkg-template/options.js";
import { optionsOf, cardAttributes, followAttributes, proofAttributes } from "../../pkg-template/elements.js";
import { FakeElement } from "./fake.mjs";

/** An element with these attributes and, when given, an inline JSON child. */
function element(attributes, json) {
  const el = new FakeElement();
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  el.querySelector = (selector) => (selector === 'script[type="application/json"]' && json !== undefined ? { textContent: json } : null);
  return el;
}

test("a card's attributes are its options (item is the item id, link-mode the link mode); absent ones are undefined", () => {
  const options = optionsOf(element({ item: "itm_a", "link-mode": "redirect", theme: "dark" }), cardAttributes, true);
  assert.deepEqual(options, {
    itemId: "itm_a", linkMode: "redirect", theme: "dark",
    platform: undefined, locale: undefined, placement: undefined, consent: undefined, layout: undefined,
  });
});

test("a card without an item id takes its inline JSON; with one, or for other elements, none is read", () => {
  const json = '{"id":"itm_inline"}';
  assert.equal(optionsOf(element({}, json), cardAttributes, true).itemJson, json);
  assert.equal("itemJson" in optionsOf(element({ item: "itm_a" }, json), cardAttributes, true), false);
  assert.equal("itemJson" in optionsOf(element({ creator: "c1" }, json), followAttributes, false), false);
  assert.equal(optionsOf(element({}), cardAttributes, true).itemJson, undefined);
});

test("each element observes the attributes it reads", () => {
  assert.deepEqual(Object.keys(cardAttributes).sort(), ["consent", "item", "layout", "link-mode", "locale", "placement", "platform", "theme"]);
  assert.deepEqual(Object.keys(followAttributes).sort(), ["consent", "count", "creator", "locale", "placement", "platform", "size", "theme"]);
  assert.deepEqual(Object.keys(proofAttributes).sort(), ["consent", "locale", "placement", "platform", "theme", "url"]);
  assert.deepEqual(optionsOf(element({ url: "https://store.example/p/1", size: "large" }), proofAttributes, false).url, "https://store.example/p/1");
});

test("options are read over the defaults: configure's over the SDK's, an element's own over both, undefined keeps the default", () => {
  setDefaults({ platform: "https://sdk.example", placement: "blog.example" });
  setDefaults({ locale: "en", placement: "my-blog" });
  const own = optionsOf(element({ theme: "dark", locale: "zh-CN" }), cardAttributes, true);
  const options = merged(own);
  assert.equal(options.platform, "https://sdk.example");
  assert.equal(options.placement, "my-blog", "a later configure wins");
  assert.equal(options.locale, "zh-CN", "the element's own attribute wins");
  assert.equal(options.theme, "dark");
  assert.equal("layout" in options, false, "an absent attribute is no option at all");
  assert.equal(own.platform, undefined, "merging leaves the element's options as they were");
  // An option set to null (not undefined) is the element's own.
  assert.equal(merged({ placement: null }).placement, null);
  setDefaults({ locale: undefined });
  assert.equal(merged({}).locale, undefined, "configure can unset a default");
});
