// The social-proof strip (<vitrine-proof>): its look, its handle and the
// strip's own wasm build. The shell (vitrine.js) imports this chunk only when
// a strip mounts, so a page of cards never downloads it, and hands it what
// every element shares (`start`).
import init, { proof, followStep, beacons, viewable } from "./vitrine_proof_wasm.js";

// The strip's stylesheet and markup (src/proof.css, src/proof.html), put
// here by `cargo xtask build`, and the names of its plans' header fields
// (vitrine_core::plan::ProofField, put here by the build too).
const PROOF = {
  css: "__VITRINE_PROOF_CSS__",
  html: "__VITRINE_PROOF_HTML__",
  fields: "__VITRINE_PROOF_FIELDS__",
  sheet: null,
  template: null,
};

/** Given the shell's shared pieces, the strip's mount function. */
export function start({
  ElementHandle, prepare, productPage, proofHint, rememberProof, prefetch, encoded, engine, guard,
  followControl, followLink, FollowFlow, track, remembered, watchViewable,
}) {
  const loadProof = engine(
    async () => ({ default: init, proof, followStep, beacons, viewable }),
    () => new URL("vitrine_proof_wasm_bg.wasm", import.meta.url),
  );

  class ProofHandle extends ElementHandle {
    // The product page the strip on screen is about.
    #page = "";
    #open = false;
    // Each creator's follow control and flow on the strip on screen.
    #flows = new Map();
    #stopViewable = null;
    // The product page whose impressions this strip counted (once per page view).
    #counted = null;

    constructor(element, options) {
      super(element, options);
      const page = productPage(this.options);
      const root = guard(() => prepare(element, this.options, PROOF, proofHint(page)));
      prefetch(this.options, "/v1/proof?url=" + encoded(page));
      root?.addEventListener("click", (event) => this.#click(event));
      this.begin(loadProof);
    }

    #click(event) {
      const head = this.head;
      if (!head) return;
      const target = event.target;
      const more = target.closest?.(".more");
      if (more) {
        // Opens or closes the list of every recommendation, in the words the
        // plan gave for both.
        this.#open = !this.#open;
        more.textContent = this.#open ? head.open : head.closed;
        more.setAttribute("aria-expanded", String(this.#open));
        const list = this.element.shadowRoot.querySelector(".list");
        if (list) list.hidden = !this.#open;
        if (this.#open) this.#track("proof_expand", head.rest[0]);
        return;
      }
      const follow = target.closest?.(".follow[href]");
      if (follow) return this.#flow(follow.dataset.creator).flow.click(event);
      if (target.closest?.(".name[href]")) {
        const slot = target.closest("[data-creator]");
        if (slot) this.#track("creator_click", slot.dataset.item + " " + slot.dataset.creator);
      }
    }

    /** The follow control and flow for one creator of the strip. */
    #flow(creator) {
      let entry = this.#flows.get(creator);
      if (!entry) {
        // Entries go with each draw, so the link's href is still the plan's
        // bare intent URL here (a click adds its nonce).
        const link = () => this.element.shadowRoot?.querySelector(`.follow[data-creator="${creator}"]`);
        const intent = link()?.getAttribute("href");
        const control = followControl(() => this.wasm, () => intent, () => this.options.locale, followLink(link));
        const flow = new FollowFlow({
          ...control,
          creator: () => creator,
          track: (type) => track(this.element, this.options, type, { creator }),
        });
        this.#flows.set(creator, (entry = { control, flow }));
      }
      return entry;
    }

    refresh() {
      if (!this.wasm) return;
      const options = this.options;
      this.#page = productPage(options);
      this.render(PROOF, this.wasm.proof, { ...options, url: this.#page, state: proofHint(this.#page) });
    }

    drawn() {
      this.#stopFlows();
      this.#open = false;
    }

    // Once the answer is on screen: remember whether there was one, show the
    // follows this site remembers, count the collapsed strip's creators.
    shown(head) {
      const page = this.#page;
      if (head.state === "ready" || head.state === "empty") rememberProof(page, head.state === "ready");
      for (const slot of head.rest) {
        const creator = slot.split(" ")[1];
        if (remembered(creator)) this.#flow(creator).control.remembered();
      }
      if (head.state === "error" && head.problem) this.#track("render_error", null, { reason: head.problem.slice(0, 300) });
      const shown = head.rest.slice(0, +head.collapsed || 0);
      if (!shown.length || this.#counted === page) return;
      this.#counted = page;
      this.#stopViewable?.();
      for (const slot of shown) this.#track("proof_impression", slot);
      this.#stopViewable = watchViewable(this.element, this.wasm, () => {
        for (const slot of shown) this.#track("proof_viewable_impression", slot);
      });
    }

    /** An event about one recommendation (`"item creator"`). */
    #track(type, slot, fields = {}) {
      const [item, creator] = slot?.split(" ") ?? [];
      track(this.element, this.options, type, { ...(item && { item }), ...(creator && { creator }), ...fields });
    }

    #stopFlows() {
      for (const { flow } of this.#flows.values()) flow.stop();
      this.#flows.clear();
    }

    stop() {
      this.#stopFlows();
      this.#stopViewable?.();
    }
  }

  return (element, options) => new ProofHandle(element, options);
}
