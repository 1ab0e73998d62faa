// Vitrine SDK entry: loads the wasm once, defines <vitrine-card>, exports the
// JS API. Everything that can fail is caught here: a host page never sees an
// exception from Vitrine, only a one-line console warning.
import init, { Card } from "./vitrine_wasm.js";

const defaults = {
  // By default the platform is wherever the SDK was loaded from, and the
  // placement is the host site.
  platform: new URL(".", import.meta.url).origin,
  placement: location.hostname,
};

/** A fresh random 128-bit click id, as 32 hex digits. */
function newClickId() {
  return crypto.randomUUID().replaceAll("-", "");
}

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

// The card's stylesheet and markup (src/card.css, src/card.html), put here
// by `cargo xtask build`. They live in the shell, not the wasm, so that the
// card's box (a skeleton of its final size) is drawn the moment the element
// connects, before the wasm has arrived: the page never shifts.
const CARD_CSS = "__VITRINE_CARD_CSS__";
const CARD_HTML = "__VITRINE_CARD_HTML__";
let sheet;
let template;

/**
 * Gives `element` its open shadow root, with the stylesheet (constructable,
 * so a strict style-src CSP allows it) and, if empty, the skeleton. The
 * layout and theme rules mirror the wasm's (card.rs `View`), so both draw
 * the same box.
 */
function prepare(element, options) {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CARD_CSS);
    template = document.createElement("template");
    template.innerHTML = CARD_HTML;
  }
  const root = element.shadowRoot ?? element.attachShadow({ mode: "open" });
  root.adoptedStyleSheets = [sheet];
  if (!root.firstChild) {
    const content = template.content.cloneNode(true);
    const card = content.firstElementChild;
    card.dataset.state = "loading";
    card.dataset.layout = options.layout === "compact" ? "compact" : "full";
    card.dataset.theme = options.theme === "light" || options.theme === "dark" ? options.theme : "auto";
    card.setAttribute("aria-busy", "true");
    content.querySelector("[part=fallback]").remove();
    root.append(content);
  }
}

let loading;
function load() {
  loading ??= init({ module_or_path: new URL("vitrine_wasm_bg.wasm", import.meta.url) }).catch((e) => {
    console.warn("vitrine: the SDK's WebAssembly could not be loaded (" + e + ")");
    throw e;
  });
  return loading;
}

function guard(action) {
  try {
    return action();
  } catch (e) {
    console.warn("vitrine: " + e);
  }
}

/** Page-wide defaults for every card: platform, locale, theme, layout. */
export function configure(options) {
  Object.assign(defaults, options);
}

// One request per item id at a time, however many cards show it.
const inflight = new Map();
function fetchItem(url) {
  let answer = inflight.get(url);
  if (!answer) {
    answer = fetch(url, { mode: "cors", credentials: "omit" })
      .then(
        (response) => response.ok
          ? response.json().then((body) => [response.status, body], () => [response.status, undefined])
          : [response.status, undefined],
        () => [0, undefined],
      )
      .finally(() => inflight.delete(url));
    inflight.set(url, answer);
  }
  return answer;
}

/** Defaults, then options; an option left `undefined` keeps the default. */
function merged(options) {
  const out = { ...defaults };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out;
}

class Handle {
  #options;
  #card = null;
  #destroyed = false;

  constructor(element, options) {
    this.#options = { ...options };
    guard(() => prepare(element, merged(this.#options)));
    const onClick = (event) => this.#click(event);
    element.shadowRoot?.addEventListener("click", onClick);
    element.shadowRoot?.addEventListener("auxclick", onClick);
    load().then(
      () => {
        if (this.#destroyed) return;
        this.#card = guard(() => new Card(element, template));
        this.#render();
      },
      // Without the wasm there is nothing to show: give the space back
      // rather than leave a skeleton shimmering forever.
      () => element.shadowRoot?.replaceChildren(),
    );
  }

  // Before the browser follows the buy link: a fresh click id in its href,
  // and on phones the partner's app first. Modified and middle clicks keep
  // the browser's own behaviour (a new tab with the same, fresh link).
  #click(event) {
    const buy = event.target.closest?.(".buy[href]");
    const card = this.#card;
    if (!buy || !card) return;
    const app = guard(() => card.click(newClickId(), navigator.userAgent));
    const plain = event.type === "click" && event.button === 0 && !(event.ctrlKey || event.metaKey || event.shiftKey || event.altKey);
    if (app && plain) {
      event.preventDefault();
      openApp(app, buy.href);
    }
    // Redirect mode: this click follows the signed link it has; the next
    // click gets a fresh one.
    setTimeout(() => this.#redirect(card));
  }

  // Redirect mode only: asks the platform for a signed link for the next
  // click and puts it on the buy button.
  #redirect(card) {
    const url = guard(() => card.linkRequest());
    if (!url) return;
    fetch(url, { mode: "cors", credentials: "omit" })
      .then((response) => response.json().then((body) => [response.status, body], () => [response.status, {}]))
      .then(([status, body]) => {
        if (this.#card !== card) return;
        if (status < 300) guard(() => card.useRedirect(String(body.url)));
        // A refusal (4xx: unknown item, refused link) disables the button; a
        // network or server failure leaves it waiting for the next render.
        else if (status < 500) guard(() => card.redirectRefused(String(body.reason ?? "HTTP " + status)));
      }, () => {});
  }

  #render() {
    const card = this.#card;
    const url = card && guard(() => card.render({ ...merged(this.#options), clickId: newClickId() }));
    if (url) {
      fetchItem(url).then(([status, body]) => {
        // The card ignores an answer it is no longer waiting for.
        if (this.#card !== card) return;
        guard(() => card.loaded(status, body));
        this.#redirect(card);
      });
    } else if (card) {
      this.#redirect(card);
    }
  }

  /** Renders again with these options merged over the current ones. */
  update(options) {
    Object.assign(this.#options, options);
    this.#render();
  }

  /** Removes the card's content and releases it. */
  destroy() {
    this.#destroyed = true;
    const card = this.#card;
    this.#card = null;
    if (card) guard(() => card.destroy());
  }
}

/**
 * Mounts a showcase card in `element` (in its open shadow root).
 * Options: item (object) or itemId, platform, locale ("zh-CN" | "en"),
 * theme ("auto" | "light" | "dark"), layout ("full" | "compact").
 */
export function mountCard(element, options = {}) {
  return new Handle(element, options);
}

const cardAttributes = {
  item: "itemId",
  platform: "platform",
  locale: "locale",
  theme: "theme",
  layout: "layout",
  placement: "placement",
  "link-mode": "linkMode",
};

class VitrineCard extends HTMLElement {
  static observedAttributes = Object.keys(cardAttributes);
  #handle = null;

  #options() {
    const options = {};
    for (const [attribute, option] of Object.entries(cardAttributes)) {
      options[option] = this.getAttribute(attribute) ?? undefined;
    }
    if (!options.itemId) {
      options.itemJson = this.querySelector('script[type="application/json"]')?.textContent ?? undefined;
    }
    return options;
  }

  connectedCallback() {
    if (this.#handle) return;
    // When the parser connects the element before its inline JSON child has
    // been parsed, wait for the document to finish.
    if (!this.hasAttribute("item") && !this.firstElementChild && document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", () => this.isConnected && this.connectedCallback(), { once: true });
      return;
    }
    this.#handle = mountCard(this, this.#options());
  }

  disconnectedCallback() {
    this.#handle?.destroy();
    this.#handle = null;
  }

  attributeChangedCallback() {
    this.#handle?.update(this.#options());
  }
}

if (!customElements.get("vitrine-card")) customElements.define("vitrine-card", VitrineCard);
load().catch(() => {});
