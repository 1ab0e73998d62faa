// An element's options: its own, read over the page's defaults (the SDK's,
// then whatever `configure` set).

const defaults = {};

/** Merges `options` into the page-wide defaults. */
export function setDefaults(options) {
  Object.assign(defaults, options);
}

/** Defaults, then options; an option left `undefined` keeps the default. */
export function merged(options) {
  const out = { ...defaults };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out;
}
