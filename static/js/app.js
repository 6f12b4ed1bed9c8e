// Behaviour that used to sit in inline attributes, which the Content-Security-Policy forbids.
// <select data-autosubmit>: choosing a value submits its form (language, branch pickers).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});

// A form larger than the server reads (DATA_UPLOAD_MAX_MEMORY_SIZE, on <body data-max-form-bytes>) is not sent:
// it would come back as an error page and the typed text would be lost. Files are not counted (the server
// streams them); the message says how large it is and stays above the form until the next try.
function formatBytes(n) {
  return n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : n >= 1024 ? (n / 1024).toFixed(0) + " KB" : n + " B";
}

document.addEventListener("submit", function (event) {
  var form = event.target;
  var limit = parseInt(document.body.getAttribute("data-max-form-bytes"), 10);
  if (!limit || (form.method || "").toLowerCase() !== "post" || typeof FormData === "undefined") {
    return;
  }
  // What the server counts: the body as sent, percent-encoded for an ordinary form, raw UTF-8 in a multipart one.
  var multipart = (form.enctype || "").toLowerCase() === "multipart/form-data";
  var utf8 = typeof TextEncoder === "undefined" ? null : new TextEncoder();
  var size = 0;
  new FormData(form).forEach(function (value, name) {
    if (typeof value !== "string") {
      return;
    }
    if (multipart && utf8) {
      size += utf8.encode(name).length + utf8.encode(value).length + 100;
    } else {
      size += encodeURIComponent(name).length + encodeURIComponent(value).length + 2;
    }
  });
  var notice = form.querySelector(".too-large");
  if (size <= limit) {
    if (notice) { notice.remove(); }
    return;
  }
  event.preventDefault();
  if (!notice) {
    notice = document.createElement("p");
    notice.className = "error too-large";
    notice.setAttribute("role", "alert");
    form.insertBefore(notice, form.firstChild);
  }
  notice.textContent = document.body.getAttribute("data-too-large")
    .replace("{size}", formatBytes(size)).replace("{limit}", formatBytes(limit));
});

// Main menu drop-downs are <details> (they open and close without JS, by mouse or keyboard). With JS, one is
// open at a time, and a click elsewhere or Escape closes it (Escape gives the focus back to its summary).
var menus = function () { return document.querySelectorAll(".mainnav details"); };
document.addEventListener("toggle", function (event) {
  var opened = event.target;
  if (!opened.matches || !opened.matches(".mainnav details") || !opened.open) {
    return;
  }
  menus().forEach(function (other) { if (other !== opened) { other.open = false; } });
}, true);
document.addEventListener("click", function (event) {
  menus().forEach(function (menu) { if (menu.open && !menu.contains(event.target)) { menu.open = false; } });
});
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") {
    return;
  }
  menus().forEach(function (menu) {
    if (menu.open) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
});
