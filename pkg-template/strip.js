// Social proof on a store's product page (<vitrine-proof>, mountProof): the
// shell's side of the strip. The strip's own code is a chunk of its own,
// fetched only where a strip mounts; until it is here, the strip's box
// (when this tab knows the page has recommendations) and a stand-in handle.
import { guard } from "./guard.js";
import { encoded, prefetch } from "./net.js";
import { track } from "./beacons.js";
import { watchViewable } from "./viewability.js";
import { followControl, followLink, FollowFlow, remembered } from "./follow.js";
import { merged } from "./options.js";
import { engine } from "./engine.js";
import { ElementHandle } from "./handle.js";
import { prepare, sheetOf } from "./look.js";
import { lazyMount, reserveBox } from "./lazy.js";

/** The product page a strip is about: its `url`, else the page's canonical link, else the page. */
function productPage(options) {
  try {
    const given = options.url ?? document.querySelector('link[rel="canonical"]')?.getAttribute("href") ?? location.href;
    return new URL(given, document.baseURI).href;
  } catch {
    return String(options.url ?? "");
  }
}

// Whether a product page had recommendations when last asked (this tab):
// a strip that knows takes its box in the very first frame, or none at all.
// One that does not takes no space until the answer says.
const PROOF_HINT = "vitrine.proof.";
function proofHint(url) {
  try {
    const hint = sessionStorage.getItem(PROOF_HINT + url);
    return hint === "1" ? "loading" : hint === "0" ? "empty" : "deciding";
  } catch {
    return "deciding";
  }
}
function rememberProof(url, shown) {
  try {
    sessionStorage.setItem(PROOF_HINT + url, shown ? "1" : "0");
  } catch {
    // Storage off: the next view decides again.
  }
}

// The strip's code (vitrine-proof.js: its look, its handle, its wasm build)
// is fetched only where a strip mounts (lazy.js), and handed these.
const shared = {
  ElementHandle, prepare, productPage, proofHint, rememberProof, prefetch, encoded, engine, guard,
  followControl, followLink, FollowFlow, track, remembered, watchViewable,
};
const mountStrip = lazyMount(() => import("./vitrine-proof.js"), shared, "the strip's code");

// Until the strip's code arrives, its box: none, or, when this tab has seen
// recommendations for the page, the collapsed strip's height (src/proof.css:
// border 1 + 1, padding 12 + 12, head 28, gap 8, quote 64; the gap above it
// is the strip's margin, which collapses outside the host), so that nothing
// moves when it fills. The proof layout-shift test
// holds the two together.
let reservation;
function reserve(element, hint) {
  if (hint !== "loading") return;
  reservation ??= sheetOf(":host { display: block; height: 126px; margin-top: var(--vitrine-gap, 0); }");
  reserveBox(element, reservation);
}

/**
 * Mounts the creators' recommendations of a product in `element` (in its
 * open shadow root). Options: url (the product page; default the page's
 * canonical link, then the page), platform, locale, theme, placement.
 */
export function mountProof(element, options = {}) {
  guard(() => reserve(element, proofHint(productPage(merged(options)))));
  return mountStrip(element, options);
}
