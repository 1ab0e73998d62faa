// Elements whose code is a chunk of its own (the strip's, the follow
// button's): fetched where the first such element mounts, so a page without
// one never downloads it. A chunk is handed what every element shares
// rather than importing it: a shell module a chunk imported would become a
// further chunk, which every page would fetch.

import { shadowOf } from "./look.js";

/**
 * Holds `element`'s box with `sheet` (sized as its look will draw it) until
 * its code arrives, unless its shadow root already has a look.
 */
export function reserveBox(element, sheet) {
  const root = shadowOf(element);
  if (!root.adoptedStyleSheets.length) root.adoptedStyleSheets = [sheet];
}

/**
 * A mount function for an element whose code `load()` imports (written out
 * at the call, `() => import("./chunk.js")`, so that bundlers see the
 * chunk): the chunk's `start(shared)` gives the element's real mount, and
 * until it has, the mount returns a stand-in handle that keeps the options
 * it is given. `what` names the code in the one warning if it cannot be
 * loaded; the element then gives its space back.
 */
export function lazyMount(load, shared, what) {
  let chunk;
  return (element, options, ...rest) => {
    chunk ??= load().then(
      (module) => module.start(shared),
      (e) => {
        console.warn("vitrine: " + what + " could not be loaded (" + e + ")");
        throw e;
      },
    );
    let handle = null;
    let destroyed = false;
    const later = { ...options };
    chunk.then(
      (mount) => destroyed || (handle = mount(element, later, ...rest)),
      () => {
        if (element.shadowRoot) element.shadowRoot.adoptedStyleSheets = [];
      },
    );
    return {
      update(options) {
        if (handle) handle.update(options);
        else Object.assign(later, options);
      },
      destroy() {
        destroyed = true;
        handle?.destroy();
        element.shadowRoot?.replaceChildren();
      },
    };
  };
}
