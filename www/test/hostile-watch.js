// Loaded first on every hostile-*.html page: records each policy violation
// (CSP, Trusted Types) as one line of <html data-violations> (in the DOM, so
// that a test can read it from a world of its own).
document.addEventListener("securitypolicyviolation", function (e) {
  var html = document.documentElement;
  html.dataset.violations = (html.dataset.violations ? html.dataset.violations + "\n" : "") +
    e.effectiveDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber;
});
