// Messages page: new messages appear at the top without a reload (server-sent events from
// /ui/messages/live). Rows are built with DOM calls (textContent), never from HTML strings.
(function () {
  "use strict";
  var body = document.getElementById("messages");
  if (!body || !body.dataset.live || !window.EventSource) { return; }
  var source = new EventSource(body.dataset.live);
  function cell(text, cls) {
    var td = document.createElement("td");
    if (cls) { td.className = cls; }
    td.textContent = text;
    return td;
  }
  source.addEventListener("ready", function () { body.dataset.connected = "true"; });
  source.addEventListener("message", function (event) {
    var m;
    try { m = JSON.parse(event.data); } catch (e) { return; }
    if (body.querySelector('tr[data-seq="' + String(Number(m.seq)) + '"]')) { return; }
    var tr = document.createElement("tr");
    tr.dataset.seq = String(m.seq);
    tr.className = "fresh";
    tr.appendChild(cell(m.when, "nowrap"));
    tr.appendChild(cell(m.from));
    tr.appendChild(cell(m.to));
    var subject = document.createElement("td");
    var link = document.createElement("a");
    link.href = m.href;
    link.textContent = m.subject || "(no subject)";
    subject.appendChild(link);
    tr.appendChild(subject);
    var decision = document.createElement("td");
    var badge = document.createElement("span");
    badge.className = "badge " + m.decision;
    badge.textContent = m.decision;
    decision.appendChild(badge);
    tr.appendChild(decision);
    body.insertBefore(tr, body.firstChild);
    var empty = document.getElementById("empty");
    if (empty) { empty.remove(); }
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
