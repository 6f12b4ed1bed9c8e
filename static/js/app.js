// Behaviour that used to sit in inline attributes, which the Content-Security-Policy forbids.
// <select data-autosubmit>: choosing a value submits its form (language, branch pickers).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});
