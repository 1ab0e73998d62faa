// The host page's own script, on every hostile-*.html page: whatever the SDK
// meets there, the page's own content and script must keep working. Written
// without the intrinsics hostile-intrinsics.js patches (no Array methods,
// no JSON, no fetch).
(function () {
  var out = document.getElementById("own");
  var clicks = 0;
  document.getElementById("own-button").addEventListener("click", function () {
    clicks += 1;
    out.textContent = "clicked " + clicks;
  });
  out.textContent = "ready";
})();
