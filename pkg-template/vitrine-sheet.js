// The open-in-browser sheet: in a chat app's browser (WeChat, Weibo, QQ)
// that may refuse a partner store's page, the buy button opens this over its
// card instead of dead-ending (vitrine_core::in_app decides where; the
// card's plan gives every word). It says how to leave the app's browser and
// copies the attributed link. A chunk of its own, fetched on the first such
// click: an ordinary browser never downloads it. It imports nothing.

// Its stylesheet (src/sheet.css), put here by `cargo xtask build`.
const CSS = "__VITRINE_SHEET_CSS__";
let sheet;

/** A node `tag` with `className` and, through textContent only, `text`. */
function node(tag, className, text) {
  const n = document.createElement(tag);
  n.className = className;
  if (text) n.textContent = text;
  return n;
}

/**
 * Opens the sheet over the card in shadow `root`, for `link` (the buy
 * button's attributed link), with the words of the card's plan: title, why,
 * how, copy, copied, manual copy, go on here (none where the app refuses the
 * page), close. Closing gives the focus back to `buy`.
 */
export function openSheet(root, buy, link, [title, why, how, copy, copied, manual, here, close]) {
  const card = root?.querySelector("[part=card]");
  if (!card) return;
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
