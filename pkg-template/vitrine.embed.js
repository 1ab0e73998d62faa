// Vitrine one-tag embed: for pages where only HTML can be pasted.
//   <script async src="https://PLATFORM/pkg/vitrine.embed.js" data-placement="my-blog"></script>
// Loads the SDK module (and its wasm) once, applies the script's data-*
// attributes as page-wide options (per-element attributes still win), and
// preconnects to the platform. Every <vitrine-card> and <vitrine-follow> on
// the page is upgraded, including ones added later. Harmless twice, or next
// to an npm build of the SDK: the elements are defined only once.
(function () {
  var script = document.currentScript;
  if (!script || window.__vitrineEmbed) return;
  window.__vitrineEmbed = true;
  var base = new URL(".", script.src);
  // Pasted more than once: async tags run in any order, so whichever runs
  // first reads them all, and the first in the page wins.
  var options = {};
  var tags = document.querySelectorAll("script[src]");
  for (var i = tags.length - 1; i >= 0; i--) {
    if (tags[i].src !== script.src) continue;
    var data = tags[i].dataset;
    for (var key in data) options[key] = data[key];
  }
  var platform = options.platform || base.origin;
  var link = document.createElement("link");
  link.rel = "preconnect";
  link.href = new URL(platform).origin;
  link.crossOrigin = "anonymous";
  document.head.appendChild(link);
  import(new URL("vitrine.js", base).href).then(
    function (sdk) {
      sdk.configure(options);
    },
    function (error) {
      console.warn("vitrine: the SDK could not be loaded (" + error + ")");
    },
  );
})();
