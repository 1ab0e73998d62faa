// Posts a follow "answer" to the parent page, as an attacker's frame would.
// The message comes from the URL fragment: #{"creator":..., "nonce":..., "state":...}.
const message = JSON.parse(decodeURIComponent(location.hash.slice(1)) || "{}");
window.parent.postMessage({ type: "vitrine:follow", ...message }, "*");
