// Following a creator from this page, for every control that does it (the
// follow button, a card's byline, a strip's creators): the control's states
// (the core's), the popup and the check of its answer, and this site's
// memory of whom the reader follows.
import { guard } from "./guard.js";
import { US } from "./plan.js";
import { encoded } from "./net.js";
import { newClickId } from "./beacons.js";

/**
 * A follow control (the follow button, a card's byline, a strip's creator)
 * for `FollowFlow`: its states and labels are the core's (`followStep`);
 * `paint(key, label, url)` shows one, with the click's intent URL when
 * there is one. `intent()` is the bare intent URL, `locale()` the words';
 * `wasm()` the loaded wasm build whose rules it follows.
 */
export function followControl(wasm, intent, locale, paint) {
  let state = "follow";
  const step = (event, url) => {
    const [key, label] = (guard(() => wasm().followStep(state, event, String(locale() ?? ""))) ?? "").split(US);
    if (!label) return;
    state = key;
    paint(key, label, url);
  };
  return {
    open(nonce, origin) {
      // The core's intent for an answer (vitrine_core::follow::intent_for_answer).
      const url = intent() && intent() + "__VITRINE_INTENT_NONCE__" + encoded(nonce) + "__VITRINE_INTENT_ORIGIN__" + encoded(origin);
      if (url) step(1, url);
      return url;
    },
    remembered: () => step(0),
    confirm: (following) => step(following ? 2 : 3),
    dismiss: () => step(4),
    state: () => state,
    reset: (to = "follow") => (state = to),
  };
}

/** `paint` for a small follow link (a card's byline, a strip's creator): the one `find()` gives. */
export function followLink(find) {
  return (key, label, url) => {
    const link = find();
    if (!link) return;
    link.textContent = label;
    link.dataset.follow = key;
    if (url) link.href = url;
  };
}

/** Where this site remembers that the reader follows a creator. */
function rememberKey(creator) {
  return "vitrine.follow." + creator;
}

export function remembered(creator) {
  try {
    return localStorage.getItem(rememberKey(creator)) === "1";
  } catch {
    return false;
  }
}

function remember(creator, following) {
  try {
    if (following) localStorage.setItem(rememberKey(creator), "1");
    else localStorage.removeItem(rememberKey(creator));
  } catch {
    // Storage may be off (private mode, policy): the button still works.
  }
}

/** A click with the main button and no modifier key (the others keep the browser's own behaviour). */
export const plainClick = (event) => event.button === 0 && !(event.ctrlKey || event.metaKey || event.shiftKey || event.altKey);

const POPUP_WIDTH = 420;
const POPUP_HEIGHT = 600;

/**
 * Following a creator from this page, for any control that does it (the
 * follow button, a card's byline). `control` is the wasm side: `open(nonce,
 * origin)` gives the intent URL, `confirm(following)`, `dismiss()`,
 * `state()`; `creator()` names the creator.
 */
export class FollowFlow {
  #control;
  #waiting;

  constructor(control) {
    this.#control = control;
  }

  // A click opens the platform's follow intent: a centred popup, or, where
  // popups are blocked, the link's own new tab. Either way the answer comes
  // back by postMessage.
  click(event) {
    const control = this.#control;
    if (guard(() => control.state()) === "pending" && this.#waiting?.popup) {
      event.preventDefault();
      this.#waiting.popup.focus();
      return;
    }
    const nonce = newClickId();
    const url = guard(() => control.open(nonce, location.origin));
    if (!url) return;
    control.track("follow_click");
    this.#wait(nonce, new URL(url).origin, control.creator());
    if (!plainClick(event)) return;
    const left = Math.round(screenX + (outerWidth - POPUP_WIDTH) / 2);
    const top = Math.round(screenY + (outerHeight - POPUP_HEIGHT) / 2);
    const popup = window.open(url, "vitrine-follow", `popup,width=${POPUP_WIDTH},height=${POPUP_HEIGHT},left=${left},top=${top}`);
    // Blocked: the link itself (already given this click's URL) opens a tab.
    if (popup) {
      event.preventDefault();
      this.#waiting.popup = popup;
    }
  }

  // Listens for the intent page's answer: only from the platform's origin,
  // only with this click's nonce, only for this creator.
  #wait(nonce, platform, creator) {
    this.stop();
    const control = this.#control;
    // Whether the reader left this page (for the tab), and whether the
    // answer came.
    let away = false;
    let answered = false;
    const onMessage = (event) => {
      const answer = event.data;
      if (event.origin !== platform || answer?.type !== "vitrine:follow" || answer.nonce !== nonce || answer.creator !== creator) return;
      const following = answer.state === "following";
      remember(creator, following);
      guard(() => control.confirm(following));
      if (following) control.track("follow_confirmed");
      answered = true;
    };
    // Closed without an answer: back to Follow. (A tab opened where popups
    // are blocked cannot be watched; coming back to this page is the sign.)
    const check = () => {
      const closed = waiting.popup ? waiting.popup.closed : document.visibilityState === "visible" && away;
      if (!closed) return;
      waiting.stop();
      if (!answered) guard(() => control.dismiss());
    };
    const onHide = () => document.visibilityState === "hidden" && (away = true);
    const timer = setInterval(check, 500);
    const waiting = {
      popup: null,
      stop: () => {
        clearInterval(timer);
        window.removeEventListener("message", onMessage);
        document.removeEventListener("visibilitychange", onHide);
      },
    };
    window.addEventListener("message", onMessage);
    document.addEventListener("visibilitychange", onHide);
    this.#waiting = waiting;
  }

  stop() {
    this.#waiting?.stop();
  }
}
