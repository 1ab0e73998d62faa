// The showcase card (<vitrine-card>, mountCard): its box, its buy link (a
// fresh click id per click, the partner's app first on phones, or the
// platform's signed link in redirect mode), its byline's follow control,
// and its impressions.
import { guard } from "./guard.js";
import { US } from "./plan.js";
import { platformOf, encoded, prefetch, request } from "./net.js";
import { inSlices } from "./slices.js";
import { newClickId, track } from "./beacons.js";
import { watchViewable } from "./viewability.js";
import { followControl, followLink, FollowFlow, remembered, plainClick } from "./follow.js";
import { ElementHandle, crowded } from "./handle.js";
import { CARD, prepare } from "./look.js";

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

/** A card's handle: `load` gives the card's wasm build. */
export class CardHandle extends ElementHandle {
  #follow;
  #flow;
  #stopViewable = null;
  // The item this card has counted an impression for: once per card per
  // item per page view, however often it renders again.
  #counted = null;

  constructor(element, options, load) {
    super(element, options);
    // Set up with its box: at once for the first cards, in a slice for the
    // rest (a page mounting a thousand pays for a dozen in its own task).
    // The box always comes before the first render, which waits for a slice.
    const box = () => {
      if (this.destroyed) return;
      // The byline's follow control follows the creator like <vitrine-follow>.
      this.#follow = followControl(
        () => this.wasm,
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
    this.begin(load);
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
    let sheet = [];
    if (head.store && !redirect) {
      const [web, phoneApp, env, ...words] = (guard(() => this.wasm.buyLink(options, head.store, head.creator, clickId, navigator.userAgent)) ?? "").split(US);
      if (web) buy.href = web;
      app = phoneApp;
      sheet = words;
      this.#track("click", env ? { click: clickId, env } : { click: clickId });
    }
    const plain = event.type === "click" && plainClick(event);
    if (sheet.length && plain) {
      // A chat app's browser that may refuse the partner's page: the sheet
      // (its own chunk: an ordinary browser never fetches it).
      event.preventDefault();
      const link = buy.href;
      import("./vitrine-sheet.js").then(
        (chunk) => guard(() => chunk.openSheet(this.element.shadowRoot, buy, link, sheet)),
        (e) => {
          // Without the sheet, the link as anywhere else.
          console.warn("vitrine: the open-in-browser sheet could not be loaded (" + e + ")");
          location.href = link;
        },
      );
    } else if (app && plain) {
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
    request(url, { mode: "cors", credentials: "omit" })
      .then((response) => response.json().then((body) => [response.status, body], () => [response.status, {}]))
      .then(([status, body]) => {
        const buy = this.head === head && this.element.shadowRoot?.querySelector(".buy");
        if (!buy) return;
        if (status < 300) {
          // Only the platform's own signed /r/ link goes on the button.
          if (guard(() => this.wasm.signedLink(String(body.url), platform))) {
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
      this.#stopViewable = watchViewable(this.element, this.wasm, () => this.#track("viewable_impression", {}));
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
