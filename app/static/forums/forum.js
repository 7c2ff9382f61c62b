// Forum pages (the site's CSP allows no inline handlers): "Balas" under a post answers that post,
// and a delete asks first.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-reply-to]");
    if (!link) return;
    var parent = document.getElementById("parent_id");
    if (parent) parent.value = link.getAttribute("data-reply-to");
    var note = document.getElementById("reply-to-note");
    if (note) {
      note.textContent = link.getAttribute("data-reply-label") || "";
      note.hidden = false;
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
