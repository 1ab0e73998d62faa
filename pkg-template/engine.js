// The wasm comes in two builds (src/lib.rs): the card's (cards and follow
// buttons, in the entry) and the strip's (social proof, in the strip's own
// chunk), each loaded once, when the first element that needs it mounts.
// Each has the beacons' rules; whichever is here first serves the beacons.
import { serveBeacons } from "./beacons.js";

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
      .then(serveBeacons)
      .catch((e) => {
        console.warn("vitrine: the SDK's WebAssembly could not be loaded (" + e + ")");
        throw e;
      }));
}

