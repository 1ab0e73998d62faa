// Viewability: whether half of an element has been in view for a second.

/** What each viewability watch does when the page hides: count time so far. */
const watches = new Set();

/** The page is hiding (and may be leaving): every watch counts its time so far. */
export function settleAll() {
  for (const settle of watches) settle();
}

/**
 * Calls `onViewable` once, when at least half of `element` has been in view
 * for one continuous second; time with the tab hidden does not count. Time
 * runs from when the browser computed the intersection (`entry.time`), not
 * from when a busy page got round to the callback.
 */
export function watchViewable(element, onViewable) {
  let shown = 0;
  let since = null;
  let timer = 0;
  const visible = () => document.visibilityState === "visible";
  const seen = () => shown + (since === null ? 0 : performance.now() - since);
  const check = () => {
    clearTimeout(timer);
    if (since === null) return;
    const left = 1000 - seen();
    if (left > 0) return (timer = setTimeout(check, left));
    stop();
    onViewable();
  };
  // Hiding: a second already seen counts now (the page may be leaving);
  // otherwise the clock stops until the page is visible again.
  const settle = () => {
    if (since === null) return;
    shown = seen();
    since = performance.now();
    check();
    if (!visible()) since = null;
  };
  let inView = false;
  let checkedAgain = false;
  let stopped = false;
  const observer = new IntersectionObserver(([entry]) => {
    inView = entry.intersectionRatio >= 0.5;
    if (!inView) {
      shown = 0; // continuous: leaving view starts over
      since = null;
      clearTimeout(timer);
      // Chromium can miss a scroll made between its first computation and
      // this callback (it then reports nothing more until something moves
      // again): out of view at first, the element is observed afresh a
      // frame later.
      if (!checkedAgain) {
        checkedAgain = true;
        requestAnimationFrame(() => {
          if (stopped) return;
          observer.unobserve(element);
          observer.observe(element);
        });
      }
    } else if (since === null && visible()) {
      since = entry.time;
      check();
    }
  }, { threshold: [0, 0.5] });
  const onVisibility = () => {
    if (!visible()) settle();
    else if (inView && since === null) {
      since = performance.now();
      check();
    }
  };
  const stop = () => {
    stopped = true;
    observer.disconnect();
    watches.delete(settle);
    document.removeEventListener("visibilitychange", onVisibility);
    clearTimeout(timer);
  };
  observer.observe(element);
  watches.add(settle);
  document.addEventListener("visibilitychange", onVisibility);
  return stop;
}
