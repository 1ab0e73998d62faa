// The follow button (<vitrine-follow>, mountFollow): a creator's follow
// control as a button of its own, with the creator's follower count.
import { guard } from "./guard.js";
import { encoded, prefetch } from "./net.js";
import { track } from "./beacons.js";
import { followControl, FollowFlow, remembered } from "./follow.js";
import { ElementHandle } from "./handle.js";
import { FOLLOW, prepare } from "./look.js";

/** A follow button's handle: `load` gives the card's wasm build (the button's rules are in it). */
export class FollowHandle extends ElementHandle {
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
    const start = this.options;
    if (typeof start.creator === "string") prefetch(start, "/v1/creators/" + encoded(start.creator));
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
