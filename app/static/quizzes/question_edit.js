/* The question editor: a "Tambah baris" button under every table of rows (answers, pairs, gaps,
   units), so a question may have as many as the author needs, not only the three empty rows
   the page brings. Each row's fields are named <prefix><n>_<field>; the hidden count beside the
   table (rows, unit_rows) tells the server how many to read. Without JavaScript the page still
   offers three empty rows each time it is saved. */
(function () {
  "use strict";
  var editor = document.querySelector("form.question-editor");
  if (!editor) return;
  var label = editor.dataset.addRow || "Tambah baris";
  editor.querySelectorAll('input[type=hidden][name$="rows"]').forEach(function (counter) {
    var table = counter.parentNode.querySelector("table tbody");
    if (!table || !table.rows.length) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button-secondary add-row";
    button.textContent = label;
    button.addEventListener("click", function () {
      var last = table.rows[table.rows.length - 1];
      var row = last.cloneNode(true);
      var n = parseInt(counter.value, 10) || table.rows.length;
      row.querySelectorAll("input, select, textarea").forEach(function (el) {
        el.name = el.name.replace(/^([a-z]+)\d+_/, "$1" + n + "_");
        if (el.getAttribute("aria-label")) el.setAttribute("aria-label", el.getAttribute("aria-label").replace(/\d+$/, String(n + 1)));
        if (el.type === "checkbox" || el.type === "radio") el.checked = false;
        else if (el.tagName === "SELECT") el.selectedIndex = 0;
        else el.value = "";
      });
      table.appendChild(row);
      counter.value = String(n + 1);
      var first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    });
    var wrap = table.closest(".table-wrap") || table.closest("table");
    wrap.parentNode.insertBefore(button, wrap.nextSibling);
  });
})();
