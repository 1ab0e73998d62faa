// Counts Content-Security-Policy violations on the page and shows the count,
// so that a person (and the end-to-end test) can see the SDK needs no
// exemption. Loaded first, as a classic script, to catch everything.
(() => {
  const violations = [];
  window.__cspViolations = violations;
  document.addEventListener("securitypolicyviolation", (e) => {
    violations.push(e.violatedDirective + " " + e.blockedURI);
    const status = document.getElementById("csp-status");
    if (status) {
      status.dataset.violations = String(violations.length);
      status.textContent = violations.length + " policy violation(s): " + violations.join(", ");
    }
  });
})();
