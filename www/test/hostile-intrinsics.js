// A page that monkey-patches built-ins the SDK could lean on, with throwing
// or lying versions: ?patch=NAME-throws|NAME-lies (several, comma-separated)
// for NAME map, forEach, push, includes (Array.prototype), JSON.parse,
// JSON.stringify, fetch, attachShadow (Element.prototype). Patched as this
// script runs, before the SDK loads; with &when=later, once the SDK's module
// has run and mounted the page's cards (as a tag manager injected later
// would), after which the page adds one more card (#later).
(function () {
  var query = /[?&]patch=([^&]*)/.exec(location.search);
  var later = /[?&]when=later/.test(location.search);
  var names = query ? decodeURIComponent(query[1]).split(",") : [];
  var A = Array.prototype;
  var fetch0 = window.fetch;
  var attach0 = Element.prototype.attachShadow;
  var thrower = function (name) {
    return function () {
      throw new TypeError("the page's own " + name + " refuses");
    };
  };
  var patches = {
    "map-throws": function () { A.map = thrower("map"); },
    "map-lies": function () { A.map = function () { return []; }; },
    "forEach-throws": function () { A.forEach = thrower("forEach"); },
    "forEach-lies": function () { A.forEach = function () {}; },
    "push-throws": function () { A.push = thrower("push"); },
    "push-lies": function () { A.push = function () { return this.length; }; },
    "includes-throws": function () { A.includes = thrower("includes"); },
    "includes-lies": function () { A.includes = function () { return false; }; },
    "JSON.parse-throws": function () { JSON.parse = thrower("JSON.parse"); },
    "JSON.parse-lies": function () { JSON.parse = function () { return {}; }; },
    "JSON.stringify-throws": function () { JSON.stringify = thrower("JSON.stringify"); },
    "JSON.stringify-lies": function () { JSON.stringify = function () { return "{}"; }; },
    "fetch-throws": function () { window.fetch = thrower("fetch"); },
    // A mock of the platform's API left on: answers every /v1/ request
    // itself, with an empty JSON object (everything else goes through).
    "fetch-lies": function () {
      window.fetch = function (input, init) {
        if (String(input instanceof Request ? input.url : input).indexOf("/v1/") < 0) return fetch0.call(window, input, init);
        return Promise.resolve(new Response("{}", { status: 200, headers: { "content-type": "application/json" } }));
      };
    },
    "attachShadow-throws": function () { Element.prototype.attachShadow = thrower("attachShadow"); },
    // Hands out closed roots whatever was asked for.
    "attachShadow-lies": function () {
      Element.prototype.attachShadow = function (init) {
        return attach0.call(this, { mode: "closed", delegatesFocus: !!(init && init.delegatesFocus) });
      };
    },
  };
  var apply = function () {
    for (var i = 0; i < names.length; i++) {
      if (!patches[names[i]]) throw new Error("no such patch: " + names[i]);
      patches[names[i]]();
    }
    document.documentElement.dataset.patched = names.join(",");
  };
  if (!later) return apply();
  // Later: the cards on the page have mounted; one more is added after.
  document.addEventListener("DOMContentLoaded", function () {
    apply();
    var card = document.createElement("vitrine-card");
    card.id = "later";
    card.setAttribute("item", "itm_linen_tote");
    document.getElementById("stage").appendChild(card);
  });
})();
