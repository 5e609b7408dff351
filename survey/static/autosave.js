// Autosave of the respondent's draft: progressive enhancement only. Without this file the
// form works as before ("Spara utkast" posts the page). With it, the draft is saved a few
// seconds after a change, the overview's per-section progress follows, and leaving the
// page with changes not yet saved asks first.
(function () {
  "use strict";

  var DELAY_MS = 3000;

  function setup(form) {
    var url = form.getAttribute("data-autosave-url");
    var status = form.querySelector("[data-autosave-status]");
    var timer = null;
    var dirty = false;      // changed since the last successful save
    var saving = false;
    var again = false;      // changed while a save was under way
    var submitting = false;

    function say(text) { if (status) { status.textContent = text; } }

    function updateProgress(sections) {
      (sections || []).forEach(function (section) {
        var target = document.querySelector('[data-progress-of="' + section.anchor + '"]');
        if (target) { target.textContent = section.text; }
      });
    }

    function save() {
      timer = null;
      if (submitting || !dirty) { return; }
      if (saving) { again = true; return; }
      saving = true;
      again = false;
      var data = new FormData(form);
      data.set("action", "save");
      say("Sparar utkastet …");
      fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        saving = false;
        if (result.ok && result.body.saved) {
          if (!again) { dirty = false; }
          updateProgress(result.body.sections);
        }
        say(result.body.message || "");
        if (again) { schedule(); }
      }).catch(function () {
        saving = false;
        say("Svaren kunde inte sparas automatiskt. Klicka på ”Spara utkast”.");
      });
    }

    function schedule() {
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(save, DELAY_MS);
    }

    function changed() {
      dirty = true;
      if (saving) { again = true; }
      say("Ändringar som inte är sparade än.");
      schedule();
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", function () {
      submitting = true;
      if (timer) { window.clearTimeout(timer); }
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty && !submitting) {
        event.preventDefault();
        event.returnValue = "";
        return "";
      }
      return undefined;
    });

    var hint = document.querySelector("[data-autosave-hint]");
    if (hint) { hint.textContent = hint.getAttribute("data-autosave-hint"); }
    form.classList.add("autosaving");
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.fetch || !window.FormData) { return; }
    var forms = document.querySelectorAll("form[data-autosave-url]");
    Array.prototype.forEach.call(forms, setup);
  });
})();
