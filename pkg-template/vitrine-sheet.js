// The open-in-browser sheet: in a chat app's browser (WeChat, Weibo, QQ)
// that may refuse a partner store's page, the buy button opens this over its
// card instead of dead-ending. It says how to leave the app's browser and
// copies the attributed link. A chunk of its own, fetched on the first such
// click: an ordinary browser never downloads it. It imports nothing.
//
// Where it opens and with what (refused or only offered, the locale, the
// app's and the store's names) is the card's plan (vitrine_core::in_app);
// its words are here, in both locales, so that a page of cards does not
// carry them in its wasm for the few readers inside a chat app.

// Its stylesheet (src/sheet.css), put here by `cargo xtask build`.
const CSS = "__VITRINE_SHEET_CSS__";
let sheet;

// Its words: title, how, copy, copied, the manual copy's hint, going on
// here, close; and why it opened, refused or only offered.
const WORDS = {
  "zh-CN": {
    title: "在浏览器中打开",
    how: "点右上角「···」，选「在浏览器打开」；或复制链接，到浏览器或商店 App 里打开。",
    copy: "复制链接",
    copied: "已复制",
    manual: "已选中链接，请长按复制",
    here: "仍在此打开",
    close: "关闭",
    blocked: (app, store) => app + "内无法打开" + store + "的页面。",
    offer: (app, store) => "如果" + app + "内打不开" + store + "的页面：",
  },
  en: {
    title: "Open in your browser",
    how: "Tap ··· at the top right and choose “Open in browser”, or copy the link and open it in your browser or the store’s app.",
    copy: "Copy link",
    copied: "Copied",
    manual: "The link is selected: press and hold to copy it",
    here: "Open here anyway",
    close: "Close",
    blocked: (app, store) => store + "’s pages don’t open inside " + app + ".",
    offer: (app, store) => "If " + store + "’s page doesn’t open inside " + app + ":",
  },
};

/** A node `tag` with `className` and, through textContent only, `text`. */
function node(tag, className, text) {
  const n = document.createElement(tag);
  n.className = className;
  if (text) n.textContent = text;
  return n;
}

/**
 * Opens the sheet over the card in shadow `root`, for `link` (the buy
 * button's attributed link), as the card's plan says: `mode` "blocked" (the
 * app refuses the store's page: no going on here) or "offer", the locale,
 * the app's and the store's names. Closing gives the focus back to `buy`.
 */
export function openSheet(root, buy, link, [mode, locale, app, store]) {
  const card = root?.querySelector("[part=card]");
  const words = WORDS[locale];
  if (!card || !words || !(mode === "blocked" || mode === "offer")) return;
  const { title, how, copy, copied, manual, close } = words;
  const why = words[mode](app, store);
  const here = mode === "offer" && words.here;
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  card.querySelector(".sheet")?.remove();

  const box = node("div", "sheet");
  box.setAttribute("part", "sheet");
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-modal", "true");
  const heading = node("p", "sheet-title", title);
  heading.id = "sheet-title";
  box.setAttribute("aria-labelledby", "sheet-title");
  const field = node("input", "sheet-link");
  field.readOnly = true;
  field.value = link;
  field.setAttribute("aria-label", copy);
  const note = node("p", "sheet-note");
  note.setAttribute("role", "status");
  const actions = node("div", "sheet-actions");
  const copyButton = node("button", "sheet-copy", copy);
  copyButton.type = "button";
  actions.append(copyButton);
  if (here) {
    const onward = node("a", "sheet-here", here);
    onward.href = link;
    actions.append(onward);
  }
  const closeButton = node("button", "sheet-close", close);
  closeButton.type = "button";
  actions.append(closeButton);
  box.append(heading, node("p", "sheet-why", why), node("p", "sheet-how", how), field, note, actions);
  card.append(box);

  const shut = () => {
    box.remove();
    buy.focus();
  };
  copyButton.addEventListener("click", () => {
    // The Clipboard API where the page may use it; else the field, selected
    // and copied the old way; else selected for the reader to copy.
    const selected = () => {
      field.focus();
      field.select();
      let done = false;
      try {
        done = document.execCommand("copy");
      } catch {
        // No copying here at all.
      }
      note.textContent = done ? copied : manual;
    };
    new Promise((resolve) => resolve(navigator.clipboard.writeText(link))).then(() => (note.textContent = copied), selected);
  });
  closeButton.addEventListener("click", shut);
  // A dialog: Escape closes it, and Tab stays inside it.
  box.addEventListener("keydown", (event) => {
    if (event.key === "Escape") return shut();
    if (event.key !== "Tab") return;
    const stops = [field, ...actions.children];
    const at = stops.indexOf(root.activeElement);
    const next = stops[(at + (event.shiftKey ? stops.length - 1 : 1)) % stops.length];
    event.preventDefault();
    next.focus();
  });
  copyButton.focus();
}
