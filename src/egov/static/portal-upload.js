/* Cổng dịch vụ công: send forms with files through XMLHttpRequest to show the upload progress.
 * A form marked data-upload-progress is posted as FormData; the button is disabled while it is sent (a
 * second click sends nothing; the server also deduplicates on the form's idempotency key). When the server
 * answers with a redirect the browser follows it; when it answers the form again (errors), the new <main>
 * replaces the old one. Without JavaScript the form is posted normally. */
(function () {
  "use strict";

  function bind(root) {
    var forms = root.querySelectorAll("form[data-upload-progress]");
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener("submit", function (event) { send(event, form); });
    });
  }

  function send(event, form) {
    if (!window.FormData || !window.XMLHttpRequest) { return; }
    event.preventDefault();
    if (form.dataset.sending === "1") { return; }
    form.dataset.sending = "1";
    var button = form.querySelector("button[type=submit]");
    var label = button ? button.textContent : "";
    if (button) {
      button.disabled = true;
      if (button.dataset.busyText) { button.textContent = button.dataset.busyText; }
    }
    var box = form.querySelector(".p-progress");
    var bar = box ? box.querySelector("progress") : null;
    var text = box ? box.querySelector(".p-progress-text") : null;
    if (box) { box.hidden = false; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) { return; }
      var pct = Math.round((e.loaded / e.total) * 100);
      if (bar) { bar.value = pct; }
      if (text) { text.textContent = pct + "%"; }
    });
    function reset() {
      form.dataset.sending = "";
      if (button) { button.disabled = false; button.textContent = label; }
      if (box) { box.hidden = true; }
    }
    xhr.addEventListener("load", function () {
      var next = xhr.getResponseHeader("X-Redirect");
      if (next) {
        window.location.assign(next);
        return;
      }
      var target = form.action || window.location.href;
      if (xhr.responseURL && xhr.responseURL !== new URL(target, window.location.href).href) {
        window.location.assign(xhr.responseURL);
        return;
      }
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var fresh = doc.querySelector("main");
      var current = document.querySelector("main");
      if (fresh && current) {
        current.replaceWith(fresh);
        bind(fresh);
        var errors = fresh.querySelector("#form-errors");
        if (errors) { errors.focus(); errors.scrollIntoView(); }
      } else {
        reset();
      }
    });
    xhr.addEventListener("error", function () {
      reset();
      if (text) { text.textContent = ""; }
      window.alert(form.dataset.networkError || "");
    });
    xhr.send(new FormData(form));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { bind(document); });
  } else {
    bind(document);
  }
})();
