// The network, for every element: the platform's origin as the wasm reads
// it, URL components as the core encodes them, and one request per URL at a
// time, however many elements need it.

/** The platform's origin from the options, without trailing slashes (as the wasm reads it). */
export function platformOf(options) {
  return String(options.platform).replace(/\/+$/, "");
}

/** `encodeURIComponent` as the core encodes (RFC 3986 unreserved kept). */
export const encoded = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

// One request per URL at a time, however many elements need it.
const inflight = new Map();
// An element's data is asked for as it connects, alongside the wasm rather
// than after it; the render that asks for the same URL (the wasm builds it,
// these lines only guess it) takes that answer. Unclaimed, it is dropped.
const early = new Map();

/** `fetch`, except that a host page's replacement that throws rejects instead. */
export const request = (url, init) => new Promise((resolve) => resolve(fetch(url, init)));

/** `[status, body]` for `url` (`0` when the network failed; no body unless a 2xx gave JSON). */
export function fetchJson(url) {
  const ahead = early.get(url);
  if (ahead) {
    early.delete(url);
    return ahead;
  }
  let answer = inflight.get(url);
  if (!answer) {
    answer = request(url, { mode: "cors", credentials: "omit" })
      .then(
        (response) => response.ok
          ? response.json().then((body) => [response.status, body], () => [response.status, undefined])
          : [response.status, undefined],
        () => [0, undefined],
      )
      .finally(() => inflight.delete(url));
    inflight.set(url, answer);
  }
  return answer;
}

/** Asks for the platform's `path` now, for the render that will ask for it (see `early`). */
export function prefetch(options, path) {
  const url = platformOf(options) + path;
  if (early.has(url)) return;
  early.set(url, fetchJson(url));
  setTimeout(() => early.delete(url), 10_000);
}
