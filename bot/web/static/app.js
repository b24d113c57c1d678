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

// Template editor: the preview follows the text as it is typed (checked by the server).
(function () {
  var form = document.getElementById("template-form");
  if (!form) return;
  var text = document.getElementById("template-text");
  var error = document.getElementById("template-error");
  var out = document.getElementById("previews");
  var token = form.elements.csrf.value;
  var timer = null;
  var asked = 0;
  function show(data, n) {
    if (n !== asked) return; // an older answer arriving late
    error.hidden = !data.error;
    error.textContent = data.error || "";
    if (data.error) return;
    out.textContent = "";
    data.previews.forEach(function (p) {
      var box = document.createElement("div");
      box.className = "preview";
      var title = document.createElement("p");
      title.className = "muted";
      title.textContent = p.title;
      var pre = document.createElement("pre");
      pre.textContent = p.text;
      box.appendChild(title);
      box.appendChild(pre);
      out.appendChild(box);
    });
  }
  function refresh() {
    var n = ++asked;
    fetch(form.getAttribute("data-preview"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ template: text.value }),
    })
      .then(function (r) { return r.json(); })
      .then(function (data) { show(data, n); })
      .catch(function () {});
  }
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
})();
