// What the shell's tests give its modules in place of a browser: a storage,
// page globals, and the few DOM calls `draw` makes. Only what the modules
// under test touch, with the browser's semantics for it.

/**
 * The shell's modules as the build ships them: every pkg-template module
 * copied to a fresh folder with the placeholders that carry the core's
 * definitions replaced by their values (vitrine_core::plan's separators,
 * vitrine_core::follow's intent parameters, vitrine_core::viewable's
 * share in view), as `cargo xtask build` does.
 * Resolves to the named module, imported from that folder.
 */
export async function shipped(name) {
  const { readdirSync, readFileSync, writeFileSync, mkdtempSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const { pathToFileURL } = await import("node:url");
  shipped.dir ??= (() => {
    const from = new URL("../../pkg-template/", import.meta.url);
    const dir = mkdtempSync(join(tmpdir(), "vitrine-shell-"));
    const values = { PLAN_RS: "\x1e", PLAN_US: "\x1f", INTENT_NONCE: "&nonce=", INTENT_ORIGIN: "&origin=", VIEWABLE_RATIO: 0.5 };
    for (const file of readdirSync(from).filter((f) => f.endsWith(".js"))) {
      let text = readFileSync(new URL(file, from), "utf8");
      for (const [key, value] of Object.entries(values)) text = text.replaceAll(`"__VITRINE_${key}__"`, JSON.stringify(value));
      writeFileSync(join(dir, file), text);
    }
    return dir;
  })();
  return import(pathToFileURL(join(shipped.dir, name)).href);
}

/** Defines `name` on globalThis (over Node's own, where it has one), for the rest of the test file. */
export function setGlobal(name, value) {
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
}

/** A `localStorage`/`sessionStorage`: a Map behind the Storage calls the shell makes. */
export function fakeStorage() {
  const items = new Map();
  return {
    items,
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => void items.set(key, String(value)),
    removeItem: (key) => void items.delete(key),
  };
}

/** An element with a class, attributes, text and children: enough for `draw` and the follow links. */
export class FakeElement {
  constructor(className = "", children = []) {
    this.className = className;
    this.attributes = new Map();
    this.dataset = {};
    this.children = [];
    this.parent = null;
    this.text = "";
    for (const child of children) this.appendChild(child);
  }

  /** The descendants (not the element itself) with class `name`, in document order, like the DOM's. */
  getElementsByClassName(name) {
    const found = [];
    const walk = (element) => {
      for (const child of element.children) {
        if (child.className.split(" ").includes(name)) found.push(child);
        walk(child);
      }
    };
    walk(this);
    return found;
  }

  appendChild(child) {
    child.remove();
    child.parent = this;
    this.children.push(child);
    return child;
  }

  remove() {
    if (!this.parent) return;
    this.parent.children.splice(this.parent.children.indexOf(this), 1);
    this.parent = null;
  }

  cloneNode(deep) {
    const copy = new FakeElement(this.className, deep ? this.children.map((child) => child.cloneNode(true)) : []);
    copy.attributes = new Map(this.attributes);
    copy.text = this.text;
    return copy;
  }

  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }

  getAttribute(name) {
    return this.attributes.has(name) ? this.attributes.get(name) : null;
  }

  hasAttribute(name) {
    return this.attributes.has(name);
  }

  removeAttribute(name) {
    this.attributes.delete(name);
  }

  get textContent() {
    return this.text + this.children.map((child) => child.textContent).join("");
  }

  set textContent(text) {
    for (const child of [...this.children]) child.remove();
    this.text = String(text);
  }

  /** The first descendant with class `name` (a test's shorthand). */
  find(name) {
    return this.getElementsByClassName(name)[0];
  }
}

/** A look (`{ template, fields }`, as `prepare` leaves it) whose template is `root`. */
export function fakeKind(root, fields) {
  const fragment = (element) => ({ firstElementChild: element, cloneNode: () => fragment(element.cloneNode(true)) });
  return { fields, template: { content: fragment(root) } };
}

/** An element with an open shadow root that records what `replaceChildren` put in it. */
export function fakeHost() {
  return {
    shadowRoot: {
      content: null,
      replaceChildren(content) {
        this.content = content?.firstElementChild ?? null;
      },
    },
  };
}
