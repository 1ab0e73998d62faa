// The follow button (<vitrine-follow>, mountFollow): its look and its
// handle. The shell (follow-button.js) imports this chunk only when a follow
// button mounts, so a page of cards never downloads it, and hands it what
// every element shares (`start`). The button's rules are the card's wasm
// build's (`follow`, `followStep`), which the shell loads once for cards and
// buttons alike and hands each mount (`load`).

// The button's stylesheet and markup (src/follow.css, src/follow.html), put
// here by `cargo xtask build`, and the names of its plans' header fields
// (vitrine_core::plan::FollowField, put here by the build too).
const FOLLOW = {
  css: "__VITRINE_FOLLOW_CSS__",
  html: "__VITRINE_FOLLOW_HTML__",
  fields: "__VITRINE_FOLLOW_FIELDS__",
  sheet: null,
  template: null,
};

/** Given the shell's shared pieces, the follow button's mount function. */
export function start({ ElementHandle, prepare, guard, track, followControl, FollowFlow, remembered }) {
  /** A follow button's handle: `load` gives the card's wasm build (the button's rules are in it). */
  class FollowHandle extends ElementHandle {
    #follow;
    #flow;

    constructor(element, options, load) {
      super(element, options);
      this.#follow = followControl(
        () => this.wasm,
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
      this.begin(load);
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

  return (element, options, load) => new FollowHandle(element, options, load);
}
