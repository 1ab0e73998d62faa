// Vitrine SDK entry: loads the card's wasm build (the strip's is in the
// strip's chunk), defines <vitrine-card>, <vitrine-follow> and
// <vitrine-proof>, and exports the JS API (mountCard, mountFollow,
// mountProof, configure). The modules beside it are the SDK's browser layer:
// the DOM, fetching data, the follow popup and its answer, and the
// attribution beacons' hands. The rules (validation, links, words, states,
// the beacons' outbox and viewability) are the wasm's, which answers each
// render with a plan (src/plan.rs) that `draw` applies, and each beacon
// step with one the beacons carry out. Everything that can fail is caught: a
// host page never sees an exception from Vitrine, only a one-line console
// warning.
import init, { card, follow, buyLink, signedLink, followStep, beacons, viewable } from "./vitrine_wasm.js";
import { beaconOnLeave } from "./beacons.js";
import { setDefaults } from "./options.js";
import { engine } from "./engine.js";
import { CardHandle } from "./card.js";
import { mountFollow as mountFollowButton } from "./follow-button.js";
import { mountProof } from "./strip.js";
import { defineElement, cardAttributes, followAttributes, proofAttributes } from "./elements.js";

// The card's wasm build, as `engine` hands builds around.
const cardWasm = { default: init, card, follow, buyLink, signedLink, followStep, beacons, viewable };
const loadCard = engine(async () => cardWasm, () => new URL("vitrine_wasm_bg.wasm", import.meta.url));

export { configure } from "./handle.js";
export { mountProof };

/**
 * Mounts a showcase card in `element` (in its open shadow root).
 * Options: item (object) or itemId, platform, locale ("zh-CN" | "en"),
 * theme ("auto" | "light" | "dark"), layout ("full" | "compact").
 */
export function mountCard(element, options = {}) {
  return new CardHandle(element, options, loadCard);
}

/**
 * Mounts a follow button for a creator in `element` (in its open shadow root).
 * Options: creator (id), platform, locale, theme, size ("small" | "large"),
 * count ("show" | "none").
 */
export function mountFollow(element, options = {}) {
  return mountFollowButton(element, options, loadCard);
}

setDefaults({
  // By default the platform is wherever the SDK was loaded from, and the
  // placement is the host site.
  platform: new URL(".", import.meta.url).origin,
  placement: location.hostname,
});
beaconOnLeave();
defineElement("vitrine-card", cardAttributes, mountCard, true);
defineElement("vitrine-follow", followAttributes, mountFollow, false);
defineElement("vitrine-proof", proofAttributes, mountProof, false);

