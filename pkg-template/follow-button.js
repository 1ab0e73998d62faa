// The follow button (<vitrine-follow>, mountFollow): the shell's side. The
// button's own code (its look and handle, vitrine-follow.js) is a chunk of
// its own, fetched only where a follow button mounts (lazy.js): a page of
// cards pays nothing for it. Until it is here, the button's box, and the
// creator already asked for.
import { guard } from "./guard.js";
import { encoded, prefetch } from "./net.js";
import { track } from "./beacons.js";
import { followControl, FollowFlow, remembered } from "./follow.js";
import { ElementHandle } from "./handle.js";
import { prepare, sheetOf } from "./look.js";
import { merged } from "./options.js";
import { lazyMount, reserveBox } from "./lazy.js";

const shared = { ElementHandle, prepare, guard, track, followControl, FollowFlow, remembered };
const mountButton = lazyMount(() => import("./vitrine-follow.js"), shared, "the follow button's code");

// The button's box until its look arrives (src/follow.css: 232 × 44 px, or
// 300 × 60 px large, as `.follow` draws it inside the inline-block host), so
// that nothing moves when it fills. The follow layout-shift test holds the
// two together.
const boxes = {};
function reserve(element, options) {
  const size = options.size === "large" ? "large" : "small";
  boxes[size] ??= sheetOf(`:host { display: inline-block; vertical-align: middle; width: ${size === "large" ? "300px; height: 60px" : "232px; height: 44px"}; }`);
  reserveBox(element, boxes[size]);
}

/**
 * Mounts a follow button for `options.creator` in `element`; `load` gives
 * the card's wasm build, whose rules the button follows.
 */
export function mountFollow(element, options, load) {
  const reserved = guard(() => {
    const start = merged(options);
    reserve(element, start);
    if (typeof start.creator === "string") prefetch(start, "/v1/creators/" + encoded(start.creator));
    return true;
  });
  // No shadow root to be had (the page's attachShadow refuses or lies): the
  // one warning is said; the button's code would only fail again.
  if (!reserved) return { update() {}, destroy() {} };
  return mountButton(element, options, load);
}
