// Live updates for the dashboards (server-sent events from /ui/live, filtered on the server exactly
// like the inbox page). The inbox gets new rows at the top; other pages show a count in the menu and
// reload their content when a new fact concerns the clue or unit on screen. No libraries.
(function () {
  "use strict";
  if (!window.EventSource || document.body.dataset.live !== "on") { return; }
  var onInbox = location.pathname === "/ui/inbox";
  var query = onInbox ? location.search.replace(/^\?/, "") : "";
  var seen = Array.prototype.map.call(document.querySelectorAll("#inbox-rows tr[data-event]"),
    function (tr) { return "seen=" + encodeURIComponent(tr.dataset.event); });
  var params = [query].concat(onInbox ? seen.slice(0, 200) : []).filter(Boolean).join("&");
  var source = new EventSource("/ui/live" + (params ? "?" + params : ""));
  var count = 0;

  function refreshMain() {
    fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
      var main = document.getElementById("main");
      if (fresh && main) { main.replaceWith(fresh); }
    });
  }

  source.addEventListener("inbox", function (message) {
    var data = JSON.parse(message.data);
    var rows = document.getElementById("inbox-rows");
    if (onInbox && rows) {
      if (rows.querySelector('tr[data-event="' + data.event_id + '"]')) { return; }
      var body = document.createElement("tbody");
      body.innerHTML = data.html;
      var tr = body.firstElementChild;
      tr.classList.add("fresh");
      rows.insertBefore(tr, rows.firstChild);
      var empty = document.getElementById("inbox-empty");
      if (empty) { empty.hidden = true; }
      return;
    }
    count += 1;
    var badge = document.getElementById("live-count");
    if (badge) { badge.textContent = String(count); badge.hidden = false; }
    var path = location.pathname;
    if ((data.clue_id && path === "/ui/clues/" + data.clue_id) || path.indexOf("/ui/units/") === 0 ||
        path === "/ui/rectifications" || path === "/ui/clues") {
      refreshMain();
    }
  });
  source.addEventListener("ended", function () { source.close(); });
})();
