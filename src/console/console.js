// The console's one script: the live rows of the request log (Server-Sent Events from /log/stream). Rows are built
// with textContent only, so nothing an entry holds is ever read as HTML.
(function () {
  "use strict";
  var rows = document.getElementById("log-rows");
  if (!rows || !window.EventSource) {
    return;
  }
  var state = document.getElementById("live-state");
  var shown = new Set();
  var oldest = Infinity;
  rows.querySelectorAll("tr[data-id]").forEach(function (tr) {
    shown.add(tr.dataset.id);
    oldest = Math.min(oldest, Number(tr.dataset.ms));
  });
  // A full first page: older entries than its last row are not added on top.
  var full = rows.children.length >= Number(rows.dataset.rows || "50");

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    e.textContent = text;
    if (cls) {
      e.className = cls;
    }
    return e;
  }
  function cell(tr, child) {
    var td = document.createElement("td");
    td.appendChild(child);
    tr.appendChild(td);
    return td;
  }
  function add(e) {
    if (shown.has(e.id) || (full && e.ms < oldest)) {
      return;
    }
    shown.add(e.id);
    var tr = document.createElement("tr");
    tr.dataset.id = e.id;
    tr.dataset.ms = String(e.ms);
    tr.className = "new";
    cell(tr, el("span", e.time));
    cell(tr, el("span", String(e.status), "code " + e.class));
    cell(tr, el("span", e.application + " ")).appendChild(el("span", e.environment, "muted"));
    cell(tr, el("code", e.endpoint));
    var a = document.createElement("a");
    a.href = "/log/entry?id=" + encodeURIComponent(e.id);
    a.appendChild(el("code", e.id));
    cell(tr, a);
    // Newest first: before the first row that is not newer.
    var before = null;
    for (var r = rows.firstElementChild; r; r = r.nextElementSibling) {
      if (Number(r.dataset.ms) <= e.ms) {
        before = r;
        break;
      }
    }
    rows.insertBefore(tr, before);
    var empty = document.getElementById("log-empty");
    if (empty) {
      empty.remove();
    }
  }

  var source = new EventSource(rows.dataset.stream);
  source.addEventListener("entry", function (ev) {
    add(JSON.parse(ev.data));
  });
  source.onopen = function () {
    state.textContent = "Live: new entries appear here as they are written.";
    state.className = "live";
  };
  source.onerror = function () {
    state.textContent = "Reconnecting to the live log…";
    state.className = "muted";
  };
})();
