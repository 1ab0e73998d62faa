// What every element's handle shares (ElementHandle), and every handle
// mounted: `configure` reaches them all, and a crowded page sets up its
// later cards differently.
import { guard } from "./guard.js";
import { draw } from "./plan.js";
import { fetchJson } from "./net.js";
import { inSlices } from "./slices.js";
import { setDefaults, merged } from "./options.js";

/** Every element mounted and not destroyed, so `configure` reaches them. */
const handles = new Set();

// Beyond the first few dozen cards on a page, each one far off screen is
// only sized, not laid out or painted (its last size once it has been seen;
// `prepare` in look.js), and gets its box in a later slice of work: a page
// with a thousand cards costs what the few in view cost. The first ones,
// which are the ones in view as the page loads, are left alone, since a
// placeholder size would move them in the first frames.
const MANY = 12;

/** Whether the page has more elements than the first ones, which are set up at once. */
export const crowded = () => handles.size > MANY;

/**
 * Page-wide defaults for every element: platform, locale, theme, layout,
 * placement, consent. Elements already on the page render again with them.
 */
export function configure(options) {
  setDefaults(options);
  for (const handle of handles) handle.update({});
}

/**
 * What every element's handle shares: its own options (read merged over the
 * page's defaults), `update` and `destroy`, and one way to render: ask the
 * wasm for a plan, draw it, and when the plan's header names data to fetch,
 * fetch it and ask again with the answer (an answer the element no longer
 * waits for paints nothing). An element says how to `refresh` (which plan,
 * with which options), and may act once a plan is `drawn`, once the last one
 * is `shown`, and `stop` what it started.
 */
export class ElementHandle {
  constructor(element, options) {
    this.element = element;
    this.own = { ...options };
    /** The wasm build the element renders with, once loaded. */
    this.wasm = null;
    /** The header of the plan on screen. */
    this.head = null;
    this.destroyed = false;
    handles.add(this);
  }

  /**
   * Renders (in a slice of work) once `load` has the element's wasm build,
   * and on each update from then on. Without it there is nothing to show:
   * the element gives its space back rather than leave a skeleton
   * shimmering forever.
   */
  begin(load) {
    load().then(
      (wasm) => inSlices(() => {
        if (this.destroyed) return;
        this.wasm = wasm;
        this.refresh();
      }),
      () => {
        // Its look's sheets too: a box reserved before the code came (the
        // follow button's, the strip's) is given back as well.
        const root = this.element.shadowRoot;
        if (root) root.adoptedStyleSheets = [];
        root?.replaceChildren();
      },
    );
  }

  get options() {
    return merged(this.own);
  }

  render(kind, plan, options) {
    const head = this.paint(kind, guard(() => plan(options)));
    if (!head?.fetch) return head && this.shown(head);
    fetchJson(head.fetch).then(([status, body]) =>
      inSlices(() => {
        if (this.head !== head) return;
        const answered = this.paint(kind, guard(() => plan(options, { status, body })));
        if (answered) this.shown(answered);
      }),
    );
  }

  paint(kind, plan) {
    if (plan === undefined) return null;
    this.head = guard(() => draw(this.element, kind, plan)) ?? null;
    if (this.head) this.drawn(this.head);
    return this.head;
  }

  refresh() {}
  drawn() {}
  shown() {}
  stop() {}

  /** Renders again with these options merged over the current ones. */
  update(options) {
    Object.assign(this.own, options);
    this.refresh();
  }

  /** Removes the element's content and releases it. */
  destroy() {
    this.destroyed = true;
    this.wasm = null;
    handles.delete(this);
    this.stop();
    this.head = null;
    this.element.shadowRoot?.replaceChildren();
  }
}
