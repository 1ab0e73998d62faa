// The intent page's only script: tell the page that opened it what happened,
// addressed to that page's origin only, with the nonce it sent; then close
// the popup. Served by the platform (the intent pages allow no inline script).
(() => {
  const result = document.getElementById("result");
  if (!result || !window.opener) return;
  const { creator, nonce, origin, state } = result.dataset;
  window.opener.postMessage({ type: "vitrine:follow", creator, nonce, state }, origin);
  setTimeout(() => window.close(), 700);
})();
