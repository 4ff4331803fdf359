// Enter in a field of a form marked data-enter="next-field" moves to the next field, as in a
// spreadsheet, instead of submitting the form: HTML alone can only submit on Enter. Buttons are
// skipped (Enter on a focused button still presses it), and so are hidden fields; after the last
// field comes the first button after it that is not marked data-enter-skip (a line's Remove). Without this script Enter presses the form's default button.
document.addEventListener("keydown", function (event) {
  var field = event.target;
  if (event.key !== "Enter" || event.isComposing || event.shiftKey || event.ctrlKey || event.altKey || event.metaKey) return;
  if (!field.form || field.form.dataset.enter !== "next-field") return;
  if (field.tagName === "TEXTAREA" || field.tagName === "BUTTON") return;
  if (field.tagName === "INPUT" && /^(submit|button|reset|image|checkbox|radio|file)$/.test(field.type)) return;
  event.preventDefault();
  var controls = Array.prototype.filter.call(field.form.elements, function (el) {
    return !el.disabled && el.type !== "hidden" && el.tabIndex >= 0 && el.getClientRects().length > 0;
  });
  var after = controls.slice(controls.indexOf(field) + 1);
  var next = after.find(function (el) { return el.tagName !== "BUTTON" && el.type !== "submit"; })
    || after.find(function (el) { return !("enterSkip" in el.dataset); });
  if (next) {
    next.focus();
    if (typeof next.select === "function" && next.tagName === "INPUT") next.select();
  }
});

// A form marked data-confirm="question" asks before it is sent (deleting a draft, crediting a whole
// invoice). Inline handlers are not allowed by the pages' Content-Security-Policy, hence here.
document.addEventListener("submit", function (event) {
  var question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// A field marked data-select-on-focus selects its whole text when focused (a secret to copy).
document.addEventListener("focusin", function (event) {
  var field = event.target;
  if (field.dataset && "selectOnFocus" in field.dataset && typeof field.select === "function") field.select();
});
