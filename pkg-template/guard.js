// A host page never sees an exception from Vitrine, only a one-line console
// warning: everything that can fail (every call into the wasm, every DOM
// write of a plan) runs in `guard`.

/** What `action` returns; if it throws, a console warning and `undefined`. */
export function guard(action) {
  try {
    return action();
  } catch (e) {
    console.warn("vitrine: " + e);
  }
}
