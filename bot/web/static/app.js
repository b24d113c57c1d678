// Cryptowire console: live story list (polls /stories/poll every half second).
"use strict";
(function () {
  var table = document.getElementById("stories");
  if (!table || !table.hasAttribute("data-live")) return;
  var after = parseInt(table.getAttribute("data-live"), 10) || 0;
  var body = table.tBodies[0];
  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }
  function add(s) {
    var row = document.createElement("tr");
    row.className = "new";
    row.setAttribute("data-id", s.id);
    cell(row, String(s.id));
    var title = cell(row, "");
    var link = document.createElement("a");
    link.href = "/stories/" + encodeURIComponent(s.id);
    link.textContent = s.title;
    title.appendChild(link);
    cell(row, String(s.sources));
    cell(row, s.tags.join(" "));
    cell(row, s.sentiment);
    cell(row, s.first_published_at);
    body.insertBefore(row, body.firstChild);
    var empty = document.getElementById("empty");
    if (empty) empty.remove();
  }
  function poll() {
    fetch("/stories/poll?after=" + after, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { stories: [] }; })
      .then(function (data) {
        data.stories.slice().reverse().forEach(function (s) {
          if (s.id > after) { add(s); after = s.id; }
        });
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, 500); });
  }
  setTimeout(poll, 500);
})();
