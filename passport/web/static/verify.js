// The verify page: after a check, move focus to the verdict so keyboard and screen-reader users
// start at the answer (served same-origin: the CSP allows no inline script). Without it the
// page still leads with the verdict.
"use strict";
(function () {
  var verdict = document.getElementById("verdict");
  if (verdict) {
    verdict.focus();
  }
})();
