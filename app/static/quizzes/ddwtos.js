// Drag and drop into text, phone first: tap a word tile (it stays pressed), then tap a gap.
// Tiles and gaps are buttons, so a keyboard (Tab, Enter) and screen readers work the same way;
// with a mouse a tile can also be dragged onto a gap. The hidden selects stay the answer: a
// placement sets the gap's select and fires "change", which attempt.js saves as for any field.
(function () {
  "use strict";
  document.querySelectorAll('fieldset.question[data-type="ddwtos"]').forEach(function (fs) {
    var palette = fs.querySelector("[data-tiles]");
    if (!palette) return;
    var tiles = Array.prototype.slice.call(palette.querySelectorAll(".dd-tile"));
    var picked = null;
    var gaps = [];
    var textOf = {};
    tiles.forEach(function (t) { textOf[t.dataset.choice] = t.textContent; });

    function pick(tile) {
      tiles.forEach(function (t) { t.setAttribute("aria-pressed", t === tile ? "true" : "false"); });
      picked = tile;
      fs.classList.toggle("dd-picking", !!tile);
    }

    function refresh() {
      var used = {};
      gaps.forEach(function (g) {
        var v = g.select.value;
        g.button.textContent = v ? textOf[v] : "\u2003\u2003\u2003";
        g.button.classList.toggle("dd-filled", !!v);
        g.button.setAttribute("aria-label", g.label + ": " + (v ? textOf[v] : fs.ownerDocument.documentElement.lang === "en" ? "empty" : "kosong"));
        if (v) used[v] = true;
      });
      tiles.forEach(function (t) {
        var gone = used[t.dataset.choice] && !t.dataset.infinite;
        t.classList.toggle("dd-used", !!gone);
        t.setAttribute("aria-disabled", gone ? "true" : "false");
      });
    }

    function place(gap, choice) {
      var allowed = Array.prototype.some.call(gap.select.options, function (o) { return o.value === choice; });
      if (!allowed) return false;  // another group's word: it does not fit this gap
      var tile = tiles.filter(function (t) { return t.dataset.choice === choice; })[0];
      if (tile && !tile.dataset.infinite) {
        gaps.forEach(function (g) {  // a word used once moves rather than being copied
          if (g !== gap && g.select.value === choice) { g.select.value = ""; g.select.dispatchEvent(new Event("change", { bubbles: true })); }
        });
      }
      gap.select.value = choice;
      gap.select.dispatchEvent(new Event("change", { bubbles: true }));
      return true;
    }

    fs.querySelectorAll("select[data-stem]").forEach(function (select) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "dd-gap";
      var gap = { select: select, button: button, label: select.getAttribute("aria-label") || "" };
      gaps.push(gap);
      select.classList.add("dd-hidden");
      select.setAttribute("tabindex", "-1");
      select.setAttribute("aria-hidden", "true");
      select.parentNode.insertBefore(button, select);
      button.addEventListener("click", function () {
        if (picked) {
          if (place(gap, picked.dataset.choice)) pick(null);
        } else if (select.value) {  // tapping a filled gap with nothing picked empties it
          select.value = "";
          select.dispatchEvent(new Event("change", { bubbles: true }));
        }
        refresh();
      });
      button.addEventListener("dragover", function (ev) { ev.preventDefault(); });
      button.addEventListener("drop", function (ev) {
        ev.preventDefault();
        place(gap, ev.dataTransfer.getData("text/plain"));
        pick(null);
        refresh();
      });
      select.addEventListener("lentera:restored", refresh);
    });

    tiles.forEach(function (tile) {
      tile.draggable = true;
      tile.setAttribute("aria-pressed", "false");
      // a used tile can still be picked: placing it moves it to the new gap
      tile.addEventListener("click", function () { pick(picked === tile ? null : tile); });
      tile.addEventListener("dragstart", function (ev) { ev.dataTransfer.setData("text/plain", tile.dataset.choice); });
    });
    palette.hidden = false;
    refresh();
  });
})();
