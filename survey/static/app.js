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

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    var forms = document.querySelectorAll("form[data-conditional]");
    Array.prototype.forEach.call(forms, function (form) {
      updateConditionals(form);
      form.addEventListener("change", function () { updateConditionals(form); });
    });
  });
})();
