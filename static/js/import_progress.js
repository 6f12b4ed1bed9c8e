// The batch page of an import at work: poll its progress (JSON) and show the counters; reload the
// page for the full report once the batch has ended. A file, not inline: the Content-Security-Policy.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("import-progress-bar");
  var delay = 1000;

  function show(data) {
    var progress = data.progress || {};
    var fields = box.querySelectorAll("[data-field]");
    for (var i = 0; i < fields.length; i++) {
      var name = fields[i].getAttribute("data-field");
      var value = name === "phase_display" ? data.phase_display : progress[name];
      if (value !== undefined && value !== null) {
        fields[i].textContent = name === "phase_display" ? value : Number(value).toLocaleString();
      }
    }
    if (bar && progress.size) {
      bar.max = progress.size;
      bar.value = Math.min(progress.bytes || 0, progress.size);
    }
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (!data.live) {
          window.location.reload();
          return;
        }
        delay = 1000;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 15000); // the server is busy or away: ask again, less often
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
