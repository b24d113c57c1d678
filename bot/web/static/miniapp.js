// Cryptowire Mini App: reads Telegram's signed initData from the URL fragment and sends it
// with every request; the server checks the signature and its age.
"use strict";
(function () {
  var hash = new URLSearchParams(location.hash.slice(1));
  var initData = hash.get("tgWebAppData") || "";
  var chat = new URLSearchParams(location.search).get("chat");
  var suffix = chat ? "?chat=" + encodeURIComponent(chat) : "";
  var status = document.getElementById("status");
  function call(method, path, body) {
    return fetch("/miniapp/api/" + path + suffix, {
      method: method,
      headers: { "X-Telegram-Init-Data": initData, "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(data.error || "error " + r.status);
        return data;
      });
    });
  }
  function say(text, bad) {
    var out = document.getElementById("reply");
    out.textContent = text;
    out.className = bad ? "error" : "";
  }
  function describe(s) {
    var parts = s.tags.concat(s.keywords);
    if (s.sentiments.length) parts.push("sentiment:" + s.sentiments.join(","));
    if (s.sources.length) parts.push("source:" + s.sources.join(","));
    return parts.join(" ") || "everything";
  }
  function render(state) {
    var c = state.chat;
    status.textContent = c.title;
    document.getElementById("app").hidden = false;
    var list = document.getElementById("subs");
    list.textContent = "";
    c.subscription_list.forEach(function (s) {
      var li = document.createElement("li");
      var label = document.createElement("span");
      label.textContent = describe(s);
      var toggle = document.createElement("button");
      toggle.textContent = s.active ? "Pause" : "Resume";
      toggle.className = s.active ? "" : "off";
      toggle.addEventListener("click", function () {
        call("POST", "subscriptions/" + s.id, { active: !s.active }).then(load, fail);
      });
      li.appendChild(label);
      li.appendChild(toggle);
      list.appendChild(li);
    });
    document.getElementById("digest-now").textContent =
      c.mode === "digest" ? "Digest: " + c.digest + " " + (c.digest_time || "") : "Instant alerts";
    document.getElementById("quiet-now").textContent = c.quiet ? "Quiet " + c.quiet : "No quiet hours";
    var formats = document.getElementById("formats");
    formats.textContent = "";
    state.formats.forEach(function (name) {
      var b = document.createElement("button");
      b.textContent = name;
      b.setAttribute("data-command", "format");
      b.setAttribute("data-args", name);
      formats.appendChild(b);
    });
  }
  function fail(err) { say(err.message, true); }
  function load() { return call("GET", "state").then(render, function (err) { status.textContent = err.message; }); }
  function run(command, args) {
    return call("POST", "command", { command: command, args: args }).then(function (r) {
      say(r.reply, r.error);
      return load();
    }, fail);
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-args]");
    if (b) run(b.getAttribute("data-command"), b.getAttribute("data-args"));
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    e.preventDefault();
    var command = form.getAttribute("data-command");
    var args = form.id === "quiet" ? form.elements.from.value + "-" + form.elements.to.value
      : (form.getAttribute("data-prefix") || "") + form.elements.args.value;
    run(command, args).then(function () { if (form.id === "add") form.reset(); });
  });
  load();
})();
