// Rendering many elements at once (a page mounting a thousand cards, or a
// thousand cards waiting for the same answer) is done in slices of a few
// milliseconds, with the browser free to paint and to answer the reader in
// between: no long task. A single element renders at once.
import { guard } from "./guard.js";

const SLICE_MS = 8;
let sliceEnd = 0;
const sliced = [];
const nextSlice = new MessageChannel();
nextSlice.port1.onmessage = () => {
  sliceEnd = performance.now() + SLICE_MS;
  while (sliced.length && performance.now() < sliceEnd) guard(sliced.shift());
  if (sliced.length) nextSlice.port2.postMessage(null);
  else sliceEnd = 0;
};

/** Runs `job` now if the open slice has time and nothing waits before it, else in a later slice. */
export function inSlices(job) {
  if (!sliceEnd) {
    // No slice open: this task opens one, and the next task closes it.
    sliceEnd = performance.now() + SLICE_MS;
    nextSlice.port2.postMessage(null);
  }
  if (!sliced.length && performance.now() < sliceEnd) guard(job);
  else sliced[sliced.length] = job; // not `push`, which a host page may have replaced
}
