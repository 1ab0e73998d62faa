// The wasm answers each render with a plan (src/plan.rs): a header (what
// the shell needs to know: its state, what to fetch, …) and the writes that
// turn a fresh copy of the element's template into what it shows.

// A plan's separators (src/plan.rs, put here by the build): records, and
// fields within a record.
export const RS = "__VITRINE_PLAN_RS__";
export const US = "__VITRINE_PLAN_US__";

/**
 * `plan` read: its header by the names in `names` (each `""` when the plan
 * has no such field, and the fields beyond them in `rest`), and its writes,
 * each a list of fields.
 */
export function parsePlan(plan, names) {
  // Loops, not `map` and `forEach`: a host page may have replaced those.
  const records = plan.split(RS);
  const fields = records[0].split(US);
  const writes = [];
  for (let i = 1; i < records.length; i++) writes[i - 1] = records[i].split(US);
  const head = { rest: fields.slice(names.length) };
  for (let i = 0; i < names.length; i++) head[names[i]] = fields[i] ?? "";
  return [head, writes];
}

/** `Intl.NumberFormat`s already built (building one is the slow part of formatting). */
const formats = new Map();
export function formatNumber(locale, options, decimal) {
  // Keyed without JSON.stringify, which a host page may have replaced.
  let key = locale;
  for (const name in options) key += " " + name + "=" + options[name];
  let format = formats.get(key);
  if (!format) formats.set(key, (format = new Intl.NumberFormat(locale, options)));
  // A decimal string, formatted exactly (no binary float on the way).
  return format.format(decimal);
}
export function money(locale, currency, amount) {
  try {
    return formatNumber(locale, { style: "currency", currency }, amount);
  } catch {
    return currency + " " + amount;
  }
}

/**
 * Applies the wasm's `plan` to a fresh copy of `kind`'s template and puts it
 * in `element`'s shadow root (src/plan.rs says what each write does). Data
 * enters only as text and as attribute values the wasm checked. Returns
 * the plan's header by the names in `kind.fields`, after one console
 * warning if the plan has one.
 */
export function draw(element, kind, plan) {
  // No shadow root: the page's attachShadow refused one, and said so.
  if (!element.shadowRoot) return;
  const [head, writes] = parsePlan(plan, kind.fields);
  const content = kind.template.content.cloneNode(true);
  const root = content.firstElementChild;
  const first = (scope, name) => (name ? scope.getElementsByClassName(name)[0] : scope);
  let scope = root;
  for (const [op, name, a, b, c, d] of writes) {
    if (op === "@") scope = root;
    else if (op === "s") scope = first(root, name) ?? root;
    else if (op === "+") {
      const list = first(root, name);
      const row = first(root, a);
      if (list && row) scope = list.appendChild(row.cloneNode(true));
    } else {
      const el = first(scope, name);
      if (!el) continue;
      if (op === "t") el.textContent = a;
      else if (op === "a") el.setAttribute(a, b);
      else if (op === "u") el.removeAttribute(a);
      else if (op === "r") el.remove();
      else if (op === "m") el.textContent = money(a, b, c);
      else if (op === "n") el.textContent = formatNumber(a, c ? { notation: "compact", maximumSignificantDigits: +c } : {}, b) + d;
    }
  }
  element.shadowRoot.replaceChildren(content);
  const said = head.warning || head.problem;
  if (said) console.warn("vitrine: " + said);
  return head;
}
