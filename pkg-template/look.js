// The elements' looks, and the skeleton each element shows from the moment
// it connects.
import { crowded } from "./handle.js";

// The card's stylesheet and markup (src/card.css, src/card.html), put here by
// `cargo xtask build` (the follow button's and the strip's are in their own
// chunks). They live in the shell, not the wasm, so that the
// element's box (a skeleton of its final size) is drawn the moment it
// connects, before the wasm has arrived: the page never shifts.
// `fields` names the fields of the header of the element's plans (also put
// here by the build, from the definition the wasm writes them by). The first
// `prepare` of a kind gives it its `sheet` and `template`.
export const CARD = { css: "__VITRINE_CARD_CSS__", html: "__VITRINE_CARD_HTML__", fields: "__VITRINE_CARD_FIELDS__" };

/** A constructable stylesheet of `css` (so a strict style-src CSP allows it). */
export function sheetOf(css) {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  return sheet;
}

// The sheet of each card beyond the first ones on a crowded page (see
// `crowded`, handle.js): far off screen, it is only sized.
let many;

// As it was when the SDK loaded (a host page may replace it later).
const attach = Element.prototype.attachShadow;

/**
 * `element`'s open shadow root, given it if it has none. Throws if the page's
 * `attachShadow` refuses, or gives a root the SDK could not find again.
 */
export function shadowOf(element) {
  const root = element.shadowRoot ?? attach.call(element, { mode: "open" });
  if (root !== element.shadowRoot) throw new Error("the page's attachShadow gave no open shadow root; nothing is shown");
  return root;
}

// A page that requires Trusted Types gets the looks' markup (the build's,
// never data) through a policy of the SDK's own; elsewhere, as it is.
let policy;
function markup(html) {
  try {
    policy ??= trustedTypes.createPolicy("vitrine", { createHTML: (html) => html });
  } catch {
    policy = { createHTML: (html) => html }; // no Trusted Types, or the page refuses the policy's name
  }
  return policy.createHTML(html);
}

/**
 * Gives `element` its open shadow root, with the look's stylesheet
 * (constructable, so a strict style-src CSP allows it) and, if empty, the
 * skeleton: the template marked loading with the options' layout, size and
 * theme. These few rules mirror the wasm's, so both draw the same box.
 */
export function prepare(element, options, kind, state = "loading") {
  if (!kind.sheet) {
    kind.sheet = sheetOf(kind.css);
    kind.template = document.createElement("template");
    kind.template.innerHTML = markup(kind.html);
  }
  const root = shadowOf(element);
  root.adoptedStyleSheets = kind === CARD && crowded()
    ? [kind.sheet, (many ??= sheetOf(":host { content-visibility: auto; contain-intrinsic-size: auto 460px; }"))]
    : [kind.sheet];
  if (!root.firstChild) {
    const content = kind.template.content.cloneNode(true);
    const box = content.firstElementChild;
    box.dataset.state = state;
    box.dataset.theme = options.theme === "light" || options.theme === "dark" ? options.theme : "auto";
    box.dataset.layout = options.layout === "compact" ? "compact" : "full";
    box.dataset.size = options.size === "large" ? "large" : "small";
    box.dataset.count = options.count === "none" ? "none" : "show";
    box.setAttribute("aria-busy", "true");
    content.querySelector("[part=fallback]")?.remove();
    root.append(content);
  }
  return root;
}
