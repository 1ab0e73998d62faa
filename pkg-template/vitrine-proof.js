// The social-proof strip (<vitrine-proof>): its look, its handle and the
// strip's own wasm build. The shell (vitrine.js) imports this chunk only when
// a strip mounts, so a page of cards never downloads it, and hands it what
// every element shares (`start`).
import init, { proof, followStep, queuePolicy, sendOutcome } from "./vitrine_proof_wasm.js";

// The strip's stylesheet and markup (src/proof.css, src/proof.html), put
// here by `cargo xtask build`, and the names of its plans' header fields
// (src/proof.rs).
const PROOF = {
  css: "__VITRINE_PROOF_CSS__",
  html: "__VITRINE_PROOF_HTML__",
  fields: ["state", "fetch", "problem", "collapsed", "closed", "open"],
  sheet: null,
  template: null,
};

/** Given the shell's shared pieces, the strip's mount function. */
export function start({
  merged, handles, prepare, productPage, proofHint, rememberProof, prefetch, encoded, engine, whenLoaded, guard,
  draw, followControl, FollowFlow, track, remembered, watchViewable, inSlices, fetchJson,
}) {
  const loadProof = engine(
    async () => ({ default: init, proof, followStep, queuePolicy, sendOutcome }),
    () => new URL("vitrine_proof_wasm_bg.wasm", import.meta.url),
  );

  class ProofHandle {
    #element;
    #options;
    // The strip's wasm build, once loaded.
    #wasm = null;
    #destroyed = false;
    #head = null;
    #open = false;
    // Each creator's follow control and flow on the strip on screen.
    #flows = new Map();
    #stopViewable = null;
    // The product page whose impressions this strip counted (once per page view).
    #counted = null;

    constructor(element, options) {
      this.#element = element;
      this.#options = { ...options };
      handles.add(this);
      const page = productPage(merged(this.#options));
      const root = guard(() => prepare(element, merged(this.#options), PROOF, proofHint(page)));
      prefetch(merged(this.#options), "/v1/proof?url=" + encoded(page));
      root?.addEventListener("click", (event) => this.#click(event));
      whenLoaded(element, loadProof, (wasm) => {
        if (this.#destroyed) return;
        this.#wasm = wasm;
        this.#render();
      });
    }

    #click(event) {
      const head = this.#head;
      if (!head) return;
      const target = event.target;
      const more = target.closest?.(".more");
      if (more) {
        // Opens or closes the list of every recommendation, in the words the
        // plan gave for both.
        this.#open = !this.#open;
        more.textContent = this.#open ? head.open : head.closed;
        more.setAttribute("aria-expanded", String(this.#open));
        const list = this.#element.shadowRoot.querySelector(".list");
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
        const link = () => this.#element.shadowRoot?.querySelector(`.follow[data-creator="${creator}"]`);
        const intent = link()?.getAttribute("href");
        const control = followControl(
          () => this.#wasm,
          () => intent,
          () => merged(this.#options).locale,
          (key, label, url) => {
            const el = link();
            if (!el) return;
            el.textContent = label;
            el.dataset.follow = key;
            if (url) el.href = url;
          },
        );
        const flow = new FollowFlow({
          ...control,
          creator: () => creator,
          track: (type) => track(this.#element, merged(this.#options), type, { creator }),
        });
        this.#flows.set(creator, (entry = { control, flow }));
      }
      return entry;
    }

    #render() {
      const wasm = this.#wasm;
      if (!wasm) return;
      const options = merged(this.#options);
      const page = productPage(options);
      const asked = { ...options, url: page, state: proofHint(page) };
      const head = this.#draw(guard(() => wasm.proof(asked)));
      if (head?.state !== "deciding" && head?.state !== "loading") return head && this.#shown(head, page);
      fetchJson(head.fetch).then(([status, body]) =>
        inSlices(() => {
          if (this.#head !== head) return;
          const shown = this.#draw(guard(() => wasm.proof(asked, { status, body })));
          if (shown) this.#shown(shown, page);
        }),
      );
    }

    #draw(plan) {
      if (plan === undefined) return null;
      for (const { flow } of this.#flows.values()) flow.stop();
      this.#flows.clear();
      this.#open = false;
      const head = guard(() => draw(this.#element, PROOF, plan));
      this.#head = head;
      return head;
    }

    // Once the answer is on screen: remember whether there was one, show the
    // follows this site remembers, count the collapsed strip's creators.
    #shown(head, page) {
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
      this.#stopViewable = watchViewable(this.#element, () => {
        for (const slot of shown) this.#track("proof_viewable_impression", slot);
      });
    }

    /** An event about one recommendation (`"item creator"`). */
    #track(type, slot, fields = {}) {
      const [item, creator] = slot?.split(" ") ?? [];
      track(this.#element, merged(this.#options), type, { ...(item && { item }), ...(creator && { creator }), ...fields });
    }

    /** Renders again with these options merged over the current ones. */
    update(options) {
      Object.assign(this.#options, options);
      this.#render();
    }

    /** Removes the strip's content and releases it. */
    destroy() {
      this.#destroyed = true;
      this.#wasm = null;
      handles.delete(this);
      for (const { flow } of this.#flows.values()) flow.stop();
      this.#stopViewable?.();
      this.#head = null;
      this.#element.shadowRoot?.replaceChildren();
    }
  }

  return (element, options) => new ProofHandle(element, options);
}
