// A page whose own components are called <vitrine-card>, <vitrine-follow>
// and <vitrine-proof> (an older in-house widget, another vendor), defined
// before the SDK loads.
(function () {
  var names = ["vitrine-card", "vitrine-follow", "vitrine-proof"];
  for (var i = 0; i < names.length; i++) {
    (function (name) {
      customElements.define(name, class extends HTMLElement {
        connectedCallback() {
          this.dataset.own = "yes";
          this.textContent = "the page's own <" + name + ">";
        }
      });
    })(names[i]);
  }
})();
