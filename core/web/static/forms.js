// Enter in a field of a form marked data-enter="next-field" moves to the next field, as in a
// spreadsheet, instead of submitting the form: HTML alone can only submit on Enter. Buttons are
// skipped (Enter on a focused button still presses it); after the last field comes the first
// button after it. Without this script Enter presses the form's default button.
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
    || after[0];
  if (next) {
    next.focus();
    if (typeof next.select === "function" && next.tagName === "INPUT") next.select();
  }
});
