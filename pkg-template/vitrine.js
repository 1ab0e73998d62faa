// Vitrine SDK entry: loads each wasm build once, defines <vitrine-card>,
// <vitrine-follow> and <vitrine-proof>, exports the JS API (mountCard,
// mountFollow, mountProof, configure), and is the SDK's browser layer: the
// DOM, fetching data, the follow popup and its answer, and the attribution
// beacons. The rules (validation, links, words, states, queue policy) are
// the wasm's, which answers each render with a plan (src/plan.rs) that
// `draw` applies. Everything that can fail is caught here: a host page never
// sees an exception from Vitrine, only a one-line console warning.
import init, { card, follow, buyLink, signedLink, followStep, queuePolicy, sendOutcome } from "./vitrine_wasm.js";
import { guard } from "./guard.js";
import { US, draw } from "./plan.js";
import { platformOf, encoded, fetchJson, prefetch } from "./net.js";
import { inSlices } from "./slices.js";
import { newClickId, track, serveBeacons, beaconOnLeave } from "./beacons.js";
import { watchViewable } from "./viewability.js";
import { followControl, followLink, FollowFlow, remembered } from "./follow.js";
import { setDefaults, merged } from "./options.js";
import { engine } from "./engine.js";
import { ElementHandle, crowded } from "./handle.js";
import { CARD, FOLLOW, prepare } from "./look.js";

// The card's wasm build, as `engine` hands builds around.
const cardWasm = { default: init, card, follow, buyLink, signedLink, followStep, queuePolicy, sendOutcome };
const loadCard = engine(async () => cardWasm, () => new URL("vitrine_wasm_bg.wasm", import.meta.url));

// How long a phone gets to switch to the partner's app before the web page
// opens instead.
const APP_FALLBACK_MS = 1500;

/** Tries the partner's app; opens the web page if the app did not take over. */
function openApp(app, web) {
  let left = false;
  const leave = () => (left = true);
  document.addEventListener("visibilitychange", leave, { once: true });
  window.addEventListener("pagehide", leave, { once: true });
  location.href = app;
  setTimeout(() => {
    document.removeEventListener("visibilitychange", leave);
    window.removeEventListener("pagehide", leave);
    if (!left && document.visibilityState === "visible") window.open(web, "_blank", "noopener");
  }, APP_FALLBACK_MS);
}


class Handle extends ElementHandle {
  #follow;
  #flow;
  #stopViewable = null;
  // The item this card has counted an impression for: once per card per
  // item per page view, however often it renders again.
  #counted = null;

  constructor(element, options) {
    super(element, options);
    // Set up with its box: at once for the first cards, in a slice for the
    // rest (a page mounting a thousand pays for a dozen in its own task).
    // The box always comes before the first render, which waits for a slice.
    const box = () => {
      if (this.destroyed) return;
      // The byline's follow control follows the creator like <vitrine-follow>.
      this.#follow = followControl(
        () => cardWasm,
        () => this.head?.intent,
        () => this.options.locale,
        followLink(() => element.shadowRoot?.querySelector(".follow")),
      );
      this.#flow = new FollowFlow({
        ...this.#follow,
        creator: () => this.head?.creator ?? "",
        track: (type) => this.#track(type, {}),
      });
      const root = guard(() => prepare(element, this.options, CARD));
      const onClick = (event) => this.#click(event);
      root?.addEventListener("click", onClick);
      root?.addEventListener("auxclick", onClick);
    };
    // The first cards get their box at once (they are the ones in view as a
    // page loads); beyond the first few dozen, in the next slices of work.
    if (crowded()) inSlices(box);
    else box();
    const start = this.options;
    if (typeof start.itemId === "string" && !start.item) prefetch(start, "/v1/items/" + encoded(start.itemId));
    this.begin(loadCard);
  }

  // Before the browser follows the buy link: a fresh click id in its href,
  // and on phones the partner's app first. Modified and middle clicks keep
  // the browser's own behaviour (a new tab with the same, fresh link).
  #click(event) {
    const head = this.head;
    if (!head) return;
    if (event.target.closest?.(".follow[href]")) return this.#flow.click(event);
    const buy = event.target.closest?.(".buy[href]");
    if (!buy) return;
    const options = this.options;
    const redirect = options.linkMode === "redirect";
    const clickId = newClickId();
    // Direct mode: the wasm resolves the link again with this click's id.
    // Redirect mode: the platform records the click (with its own id).
    let app;
    if (head.store && !redirect) {
      const [web, phoneApp] = (guard(() => cardWasm.buyLink(options, head.store, head.creator, clickId, navigator.userAgent)) ?? "").split(US);
      if (web) buy.href = web;
      app = phoneApp;
      this.#track("click", { click: clickId });
    }
    const plain = event.type === "click" && event.button === 0 && !(event.ctrlKey || event.metaKey || event.shiftKey || event.altKey);
    if (app && plain) {
      event.preventDefault();
      openApp(app, buy.href);
    }
    // Redirect mode: this click follows the signed link it has; the next
    // click gets a fresh one.
    if (redirect) setTimeout(() => this.#redirect(head));
  }

  // Redirect mode only: asks the platform for a signed link for the next
  // click and puts it on the buy button.
  #redirect(head) {
    const options = this.options;
    if (options.linkMode !== "redirect" || !head.live) return;
    const platform = platformOf(options);
    const url = platform + "/v1/items/" + encoded(head.item) + "/link?placement=" + encoded(String(options.placement ?? ""));
    fetch(url, { mode: "cors", credentials: "omit" })
      .then((response) => response.json().then((body) => [response.status, body], () => [response.status, {}]))
      .then(([status, body]) => {
        const buy = this.head === head && this.element.shadowRoot?.querySelector(".buy");
        if (!buy) return;
        if (status < 300) {
          // Only the platform's own signed /r/ link goes on the button.
          if (guard(() => cardWasm.signedLink(String(body.url), platform))) {
            buy.href = body.url;
            buy.target = "_blank";
            buy.rel = "sponsored noopener";
            buy.referrerPolicy = "strict-origin-when-cross-origin";
          }
        } else if (status < 500) {
          // A refusal (4xx: unknown item, refused link) disables the button; a
          // network or server failure leaves it waiting for the next render.
          buy.removeAttribute("data-pending");
          buy.textContent = head.unavailable;
          buy.setAttribute("role", "link");
          buy.setAttribute("aria-disabled", "true");
          console.warn("vitrine: the platform gave no link for the item (" + (body.reason ?? "HTTP " + status) + "); buying is disabled");
        }
      }, () => {});
  }

  refresh() {
    if (!this.wasm) return;
    const options = { ...this.options, clickId: newClickId() };
    // An element's inline JSON is parsed here; the wasm says why it failed.
    if (!options.item && !options.itemId && typeof options.itemJson === "string") {
      try {
        options.item = JSON.parse(options.itemJson);
      } catch (e) {
        options.itemJsonError = e.message;
      }
    }
    this.render(CARD, this.wasm.card, options);
  }

  drawn() {
    this.#follow.reset();
  }

  // Once an item is on screen: the signed link in redirect mode, and the
  // byline's follow state as this site remembers it.
  shown(head) {
    this.#redirect(head);
    if (head.creator && remembered(head.creator)) this.#follow.remembered();
    const item = head.item || null;
    if (item && item === this.#counted) return;
    this.#stopViewable?.();
    this.#stopViewable = null;
    this.#counted = item;
    if (item) {
      this.#track("impression", {});
      this.#stopViewable = watchViewable(this.element, () => this.#track("viewable_impression", {}));
    } else if (head.problem) {
      this.#track("render_error", { reason: head.problem.slice(0, 300) });
    }
  }

  /** An event about the item on screen (and its creator). */
  #track(type, fields) {
    const { item, creator } = this.head ?? {};
    track(this.element, this.options, type, { ...(item && { item }), ...(creator && { creator }), ...fields });
  }

  stop() {
    this.#flow?.stop();
    this.#stopViewable?.();
  }
}

export { configure } from "./handle.js";

/**
 * Mounts a showcase card in `element` (in its open shadow root).
 * Options: item (object) or itemId, platform, locale ("zh-CN" | "en"),
 * theme ("auto" | "light" | "dark"), layout ("full" | "compact").
 */
export function mountCard(element, options = {}) {
  return new Handle(element, options);
}

class FollowHandle extends ElementHandle {
  #follow;
  #flow;

  constructor(element, options) {
    super(element, options);
    this.#follow = followControl(
      () => cardWasm,
      () => this.head?.intent,
      () => this.options.locale,
      (key, label, url) => {
        const root = element.shadowRoot?.firstElementChild;
        const button = root?.querySelector(".button");
        if (!button) return;
        root.dataset.state = key;
        button.textContent = label;
        if (url) button.href = url;
      },
    );
    const creator = () => String(this.options.creator);
    this.#flow = new FollowFlow({
      ...this.#follow,
      creator,
      track: (type) => track(element, this.options, type, { creator: creator() }),
    });
    const onClick = (event) => {
      const link = event.target.closest?.(".button[href]");
      if (link && this.head?.intent) this.#flow.click(event);
    };
    guard(() => prepare(element, this.options, FOLLOW).addEventListener("click", onClick));
    const start = this.options;
    if (typeof start.creator === "string") prefetch(start, "/v1/creators/" + encoded(start.creator));
    this.begin(loadCard);
  }

  refresh() {
    if (!this.wasm) return;
    const options = this.options;
    options.following = remembered(String(options.creator));
    this.render(FOLLOW, this.wasm.follow, options);
  }

  // Shown: the button is in the state the plan drew (remembered or not).
  drawn(head) {
    this.#follow.reset(head.intent ? head.state : "follow");
  }

  stop() {
    this.#flow.stop();
  }
}

// ---- Social proof on a store's product page --------------------------------

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

/**
 * Mounts the creators' recommendations of a product in `element` (in its
 * open shadow root). Options: url (the product page; default the page's
 * canonical link, then the page), platform, locale, theme, placement.
 */
export function mountProof(element, options = {}) {
  reserve(element, proofHint(productPage(merged(options))));
  proofChunk ??= import("./vitrine-proof.js").then(
    (chunk) => chunk.start(shared),
    (e) => {
      console.warn("vitrine: the strip's code could not be loaded (" + e + ")");
      throw e;
    },
  );
  // Until the chunk is here, this stands in for the strip's handle.
  let handle = null;
  let destroyed = false;
  const later = { ...options };
  proofChunk.then(
    (mount) => destroyed || (handle = mount(element, later)),
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
}

// The strip's code (vitrine-proof.js: its look, its handle, its wasm build)
// is fetched only where a strip mounts, and handed what every element shares.
let proofChunk;
const shared = {
  ElementHandle, prepare, productPage, proofHint, rememberProof, prefetch, encoded, engine, guard,
  followControl, followLink, FollowFlow, track, remembered, watchViewable,
};

// Until the strip's code arrives, its box: none, or, when this tab has seen
// recommendations for the page, the collapsed strip's height (src/proof.css:
// border 1 + 1, padding 12 + 12, head 28, gap 8, quote 64; the gap above it
// is the strip's margin, which collapses outside the host), so that nothing
// moves when it fills. The proof layout-shift test
// holds the two together.
let reservation;
function reserve(element, hint) {
  if (hint !== "loading") return;
  if (!reservation) {
    reservation = new CSSStyleSheet();
    reservation.replaceSync(":host { display: block; height: 126px; margin-top: var(--vitrine-gap, 0); }");
  }
  const root = element.shadowRoot ?? element.attachShadow({ mode: "open" });
  if (!root.adoptedStyleSheets.length) root.adoptedStyleSheets = [reservation];
}

/**
 * Mounts a follow button for a creator in `element` (in its open shadow root).
 * Options: creator (id), platform, locale, theme, size ("small" | "large"),
 * count ("show" | "none").
 */
export function mountFollow(element, options = {}) {
  return new FollowHandle(element, options);
}

/** Defines a custom element whose attributes map to a handle's options. */
function defineElement(name, attributes, mount, needsData) {
  if (customElements.get(name)) return;
  customElements.define(
    name,
    class extends HTMLElement {
      static observedAttributes = Object.keys(attributes);
      #handle = null;

      #options() {
        const options = {};
        for (const [attribute, option] of Object.entries(attributes)) {
          options[option] = this.getAttribute(attribute) ?? undefined;
        }
        if (needsData && !options.itemId) {
          options.itemJson = this.querySelector('script[type="application/json"]')?.textContent ?? undefined;
        }
        return options;
      }

      connectedCallback() {
        if (this.#handle) return;
        // When the parser connects the element before its inline JSON child
        // has been parsed, wait for the document to finish.
        if (needsData && !this.hasAttribute("item") && !this.firstElementChild && document.readyState === "loading") {
          document.addEventListener("DOMContentLoaded", () => this.isConnected && this.connectedCallback(), { once: true });
          return;
        }
        this.#handle = mount(this, this.#options());
      }

      disconnectedCallback() {
        this.#handle?.destroy();
        this.#handle = null;
      }

      attributeChangedCallback() {
        this.#handle?.update(this.#options());
      }
    },
  );
}

const cardAttributes = {
  item: "itemId",
  platform: "platform",
  locale: "locale",
  theme: "theme",
  layout: "layout",
  placement: "placement",
  "link-mode": "linkMode",
  consent: "consent",
};

setDefaults({
  // By default the platform is wherever the SDK was loaded from, and the
  // placement is the host site.
  platform: new URL(".", import.meta.url).origin,
  placement: location.hostname,
});
beaconOnLeave();
defineElement("vitrine-card", cardAttributes, mountCard, true);
defineElement(
  "vitrine-follow",
  { creator: "creator", platform: "platform", locale: "locale", theme: "theme", size: "size", count: "count", placement: "placement", consent: "consent" },
  mountFollow,
  false,
);
defineElement(
  "vitrine-proof",
  { url: "url", platform: "platform", locale: "locale", theme: "theme", placement: "placement", consent: "consent" },
  mountProof,
  false,
);

