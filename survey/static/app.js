// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Move focus to an error summary, so keyboard and screen reader users land on it.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) { summary.focus(); }
  }

  // Show a conditional question only while its condition holds (the server checks the same rule).
  function currentValues(form, name) {
    var values = [];
    var fields = form.querySelectorAll('[name="' + name + '"]');
    Array.prototype.forEach.call(fields, function (field) {
      if ((field.type === "radio" || field.type === "checkbox")) {
        if (field.checked) { values.push(field.value); }
      } else if (field.value) {
        values.push(field.value);
      }
    });
    return values;
  }

  function updateConditionals(form) {
    var conditionals = form.querySelectorAll("[data-show-if-question]");
    Array.prototype.forEach.call(conditionals, function (block) {
      var source = block.getAttribute("data-show-if-question");
      var wanted = JSON.parse(block.getAttribute("data-show-if-answers") || "[]");
      var chosen = currentValues(form, source);
      var visible = chosen.some(function (value) { return wanted.indexOf(value) !== -1; });
      block.hidden = !visible;
    });
  }

  // An error summary link: show the whole question (its text above the field), then focus
  // the field without scrolling it to the top of the screen.
  function followErrorLink(event) {
    var link = event.target.closest ? event.target.closest(".error-summary a[href^='#']") : null;
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }
    var question = field.closest(".question, fieldset") || field;
    event.preventDefault();
    question.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    document.addEventListener("click", followErrorLink);
    var forms = document.querySelectorAll("form[data-conditional]");
    Array.prototype.forEach.call(forms, function (form) {
      updateConditionals(form);
      form.addEventListener("change", function () { updateConditionals(form); });
    });
  });
})();
