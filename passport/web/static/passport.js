// Small progressive enhancements for the passport pages (served same-origin: the CSP allows
// no inline script). Everything works without it: printing from the browser menu, copying by hand.
"use strict";
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-action]");
  if (!button) {
    return;
  }
  if (button.dataset.action === "print") {
    window.print();
  } else if (button.dataset.action === "copy") {
    var input = document.getElementById(button.dataset.target);
    input.select();
    if (navigator.clipboard) {
      navigator.clipboard.writeText(input.value).then(function () {
        // said in the page's language (data-done), and announced by the status region
        var done = button.dataset.done || "Copied";
        button.textContent = done;
        var status = document.getElementById("copy-status");
        if (status) {
          status.textContent = done;
        }
      });
    }
  }
});
