// Viewability: the hands of the core's rule (vitrine_core::viewable, in
// both wasm builds), which decides whether half of an element has been in
// view for one continuous second of a visible tab. This module observes
// (intersections, the tab's visibility, its timer, the page hiding) and
// tells the core, whose answer is when to look again, or that it is so.
import { guard } from "./guard.js";

/** What each viewability watch does when the page hides: looks at the clock. */
const watches = new Set();

/** The page is hiding (and may be leaving): every watch counts a second already seen. */
export function settleAll() {
  for (const settle of watches) settle();
}

/**
 * Calls `onViewable` once, when `wasm`'s rule says `element` is viewable.
 * Time runs from when the browser computed the intersection (`entry.time`),
 * not from when a busy page got round to the callback.
 */
export function watchViewable(element, wasm, onViewable) {
  // The core's state: while counting, when the element becomes viewable;
  // -1 once it is.
  let state;
  let timer = 0;
  let checkedAgain = false;
  let stopped = false;
  // What was observed at `time` (`ratio` in view, or -1: nothing new of it).
  const step = (ratio, time = performance.now()) => {
    if (stopped) return;
    clearTimeout(timer);
    state = guard(() => wasm.viewable(state, time, document.visibilityState === "visible", ratio));
    if (state === -1) {
      stop();
      onViewable();
    } else if (state >= 0) timer = setTimeout(step, state - performance.now(), -1);
  };
  const settle = () => step(-1);
  const observer = new IntersectionObserver(([entry]) => {
    step(entry.intersectionRatio, entry.time);
    // Chromium can miss a scroll made between its first computation and
    // this callback (it then reports nothing more until something moves
    // again): not counting at first, the element is observed afresh a
    // frame later.
    if (state < 0 && !checkedAgain) {
      checkedAgain = true;
      requestAnimationFrame(() => {
        if (stopped) return;
        observer.unobserve(element);
        observer.observe(element);
      });
    }
    // The core's share (vitrine_core::viewable::MIN_RATIO, put here by the build).
  }, { threshold: [0, "__VITRINE_VIEWABLE_RATIO__"] });
  const stop = () => {
    stopped = true;
    observer.disconnect();
    watches.delete(settle);
    document.removeEventListener("visibilitychange", settle);
    clearTimeout(timer);
  };
  observer.observe(element);
  watches.add(settle);
  document.addEventListener("visibilitychange", settle);
  return stop;
}
