// Progressive enhancement: follow a job's progress without reloading by hand.
// Without this file the page offers a link to refresh it.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status-url]");
  if (!box || !window.fetch) { return; }
  var state = box.getAttribute("data-job-state");
  if (state !== "queued" && state !== "running") { return; }
  var bar = box.querySelector("progress");
  function poll() {
    fetch(box.getAttribute("data-job-status-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { return; }
        if (bar) { bar.value = status.percent; bar.textContent = status.percent + " %"; }
        if (status.state !== state) { window.location.reload(); return; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
