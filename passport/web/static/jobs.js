// The bulk issuance job page: poll the job's JSON (same origin; the CSP allows no inline
// script) and update the progress bar, the counts and the table of row errors in place.
// Screen readers hear the status line (aria-live="polite") when the status changes and at most
// every ANNOUNCE_MS meanwhile, not at every poll. Without this script the page shows the state
// when it was loaded, with a Refresh link.
"use strict";
(function () {
  var root = document.getElementById("job");
  if (!root || root.getAttribute("data-ended") === "yes" || !window.fetch) {
    return;
  }
  var POLL_MS = 1500;
  var ANNOUNCE_MS = 10000;
  var ENDED = { succeeded: true, failed: true, cancelled: true };
  var url = root.getAttribute("data-url");
  var bar = document.getElementById("job-progress");
  var announce = document.getElementById("job-announce");
  var table = document.getElementById("job-errors");
  var lastStatus = null;
  var lastAnnounced = Date.now();
  var shownErrors = table ? table.tBodies[0].rows.length : 0;

  function field(name) {
    return root.querySelector('[data-field="' + name + '"]');
  }
  function setText(name, text) {
    var el = field(name);
    if (el) {
      el.textContent = text;
    }
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return String(values[key]);
    });
  }
  function statusName(status) {
    return root.getAttribute("data-status-" + status) || status;
  }
  function cell(label, text, className) {
    var td = document.createElement("td");
    td.setAttribute("data-label", label);
    if (className === "code") {
      var code = document.createElement("code");
      code.textContent = text;
      td.appendChild(code);
    } else {
      td.textContent = text;
      if (className) {
        td.className = className;
      }
    }
    return td;
  }
  function showErrors(errors) {
    if (!table || errors.length === shownErrors) {
      return;
    }
    var body = table.tBodies[0];
    while (body.firstChild) {
      body.removeChild(body.firstChild);
    }
    // The page lists the first rows only (data-limit); the count above has them all.
    var limit = parseInt(table.getAttribute("data-limit"), 10) || errors.length;
    errors.slice(0, limit).forEach(function (e) {
      var tr = document.createElement("tr");
      tr.appendChild(cell(table.getAttribute("data-label-row"), e.row));
      tr.appendChild(cell(table.getAttribute("data-label-code"), e.code, "code"));
      tr.appendChild(cell(table.getAttribute("data-label-problem"), e.message, "wrap"));
      body.appendChild(tr);
    });
    shownErrors = errors.length;
    table.hidden = errors.length === 0;
    var none = field("no-errors");
    if (none) {
      none.hidden = errors.length > 0;
    }
  }
  function update(job) {
    var ended = ENDED[job.status] === true;
    bar.max = job.total || 1;
    bar.value = job.total ? job.done : ended ? 1 : 0;
    bar.textContent = Math.floor((100 * bar.value) / bar.max) + " %";
    setText("status", statusName(job.status));
    setText("done", job.done);
    setText("total", job.total);
    setText("error-count", job.errors.length);
    setText("issued", job.result.issued);
    setText("skipped", job.result.skipped);
    setText("imported", job.result.imported || 0);
    setText("duplicates", job.result.duplicates || 0);
    setText(
      "rate",
      job.rate === null
        ? root.getAttribute("data-unknown")
        : fill(root.getAttribute("data-per-second"), { rate: job.rate })
    );
    var left = "—";
    if (job.secondsLeft !== null) {
      left =
        job.secondsLeft >= 120
          ? fill(root.getAttribute("data-minutes-left"), {
              minutes: Math.round(job.secondsLeft / 60),
            })
          : fill(root.getAttribute("data-seconds-left"), {
              seconds: Math.round(job.secondsLeft),
            });
    } else if (!ended) {
      left = root.getAttribute("data-unknown");
    }
    setText("left", left);
    showErrors(job.errors);
    var now = Date.now();
    if (job.status !== lastStatus || ended || now - lastAnnounced >= ANNOUNCE_MS) {
      announce.textContent =
        fill(root.getAttribute("data-progress"), { done: job.done, total: job.total }) +
        " · " +
        statusName(job.status);
      lastAnnounced = now;
    }
    lastStatus = job.status;
    if (ended) {
      root.setAttribute("data-ended", "yes");
      ["cancel", "refresh"].forEach(function (name) {
        var el = field(name);
        if (el) {
          el.parentNode.removeChild(el);
        }
      });
      if (job.status === "failed") {
        // The failure's reason and the Retry button are drawn by the server.
        window.location.reload();
      }
    }
    return ended;
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (job) {
        if (!update(job)) {
          window.setTimeout(poll, POLL_MS);
        }
      })
      .catch(function () {
        // A lost connection or a restart: try again, more slowly.
        window.setTimeout(poll, POLL_MS * 4);
      });
  }
  window.setTimeout(poll, POLL_MS);
})();
