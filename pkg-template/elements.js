// The custom elements: each one's attributes as its handle's options, and
// its handle's life with the element's (mounted on connecting, destroyed on
// leaving the page, updated with its attributes).

/**
 * `element`'s options: each of `attributes` (attribute name: option name)
 * it has, and (`needsData`, a card without an item id) the text of its
 * inline JSON child.
 */
export function optionsOf(element, attributes, needsData) {
  const options = {};
  for (const [attribute, option] of Object.entries(attributes)) {
    options[option] = element.getAttribute(attribute) ?? undefined;
  }
  if (needsData && !options.itemId) {
    options.itemJson = element.querySelector('script[type="application/json"]')?.textContent ?? undefined;
  }
  return options;
}

/** Defines a custom element whose attributes map to a handle's options. */
export function defineElement(name, attributes, mount, needsData) {
  if (customElements.get(name)) return;
  customElements.define(
    name,
    class extends HTMLElement {
      static observedAttributes = Object.keys(attributes);
      #handle = null;

      connectedCallback() {
        if (this.#handle) return;
        // When the parser connects the element before its inline JSON child
        // has been parsed, wait for the document to finish.
        if (needsData && !this.hasAttribute("item") && !this.firstElementChild && document.readyState === "loading") {
          document.addEventListener("DOMContentLoaded", () => this.isConnected && this.connectedCallback(), { once: true });
          return;
        }
        this.#handle = mount(this, optionsOf(this, attributes, needsData));
      }

      disconnectedCallback() {
        this.#handle?.destroy();
        this.#handle = null;
      }

      attributeChangedCallback() {
        this.#handle?.update(optionsOf(this, attributes, needsData));
      }
    },
  );
}

// Each element's attributes (attribute name: the option it sets); most are
// every element's.
const common = { platform: "platform", locale: "locale", theme: "theme", placement: "placement", consent: "consent" };
export const cardAttributes = { item: "itemId", ...common, layout: "layout", "link-mode": "linkMode" };
export const followAttributes = { creator: "creator", ...common, size: "size", count: "count" };
export const proofAttributes = { url: "url", ...common };
