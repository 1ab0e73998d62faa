// The wasm comes in two builds (src/lib.rs): the card's (cards and follow
// buttons, in the entry) and the strip's (social proof, in the strip's own
// chunk), each loaded once, when the first element that needs it mounts.
// Each has the queue's policy; whichever is here first serves the beacons.
import { serveBeacons } from "./beacons.js";
import { inSlices } from "./slices.js";

/**
 * A build's loader: `glue()` gives its wasm-bindgen module, `wasm()` its
 * `.wasm` file's URL (each written out in full at the call, `new URL("…",
 * import.meta.url)`, so that bundlers see the file and copy it). The
 * loader loads once and gives the module, initialised.
 */
export function engine(glue, wasm) {
  let loading;
  return () =>
    (loading ??= glue()
      .then((module) => module.default({ module_or_path: wasm() }).then(() => module))
      .then((module) => {
        serveBeacons(module);
        return module;
      })
      .catch((e) => {
        console.warn("vitrine: the SDK's WebAssembly could not be loaded (" + e + ")");
        throw e;
      }));
}

/**
 * Runs `start(wasm)` (in a slice of work) once `load` has the wasm. Without
 * it there is nothing to show: the element gives its space back rather than
 * leave a skeleton shimmering forever.
 */
export function whenLoaded(element, load, start) {
  load().then(
    (wasm) => inSlices(() => start(wasm)),
    () => element.shadowRoot?.replaceChildren(),
  );
}
