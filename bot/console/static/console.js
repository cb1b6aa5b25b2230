// Counselor console: small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Confirmation before destructive or state-changing forms.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Live transcript while a counselor has taken over: new messages are fetched and added
  // with textContent only (student text is never parsed as HTML).
  var list = document.getElementById("transcript-list");
  if (!list || list.getAttribute("data-live") !== "1") {
    return;
  }
  var url = list.getAttribute("data-poll");
  var after = parseInt(list.getAttribute("data-after") || "0", 10);

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function render(m) {
    var li = el("li", "msg msg-" + m.role);
    li.id = "m" + m.id;
    var head = el("div", "msg-head");
    var who = m.role === "user" ? "学生" : (m.role === "counselor" ? "顾问 " + (m.counselor || "") : "助手");
    head.appendChild(el("span", m.role === "counselor" ? "who counselor" : "who", who));
    head.appendChild(el("time", null, m.at));
    li.appendChild(head);
    li.appendChild(el("div", "msg-text", m.text));
    if (m.role === "user") {
      var nlu = el("div", "nlu");
      if (m.intent) {
        var low = m.intent === "nlu_fallback" || (m.confidence !== null && m.confidence < 0.5);
        nlu.appendChild(el("span", "intent" + (low ? " low" : ""),
          "意图 " + m.intent + (m.confidence !== null ? " · " + m.confidence.toFixed(2) : "")));
      }
      Object.keys(m.slots || {}).forEach(function (k) {
        var v = m.slots[k];
        nlu.appendChild(el("span", "slot", k + " = " + (typeof v === "object" ? JSON.stringify(v) : v)));
      });
      li.appendChild(nlu);
      if (m.notes && m.notes.length) {
        var gate = el("div", "gate");
        m.notes.forEach(function (n) {
          var cls = n.kind && n.kind.indexOf("topic") === 0 ? n.kind : "gate-note" + (n.kind ? " " + n.kind : "");
          var span = el("span", cls, n.text);
          if (n.title) { span.title = n.title; }
          gate.appendChild(span);
        });
        li.appendChild(gate);
      }
    } else if (m.knowledge) {
      var k = el("div", "knowledge");
      k.appendChild(el("div", "knowledge-head", "知识点：" + m.knowledge.title +
        (m.knowledge.version ? "（机构修改版 第" + m.knowledge.version + "版）" : "") + " · " +
        (m.knowledge.used && m.knowledge.used.length ? "用到学生资料：" + m.knowledge.used.join("、") : "未用到学生资料")));
      var ol = el("ol", "sources");
      (m.knowledge.sources || []).forEach(function (s) {
        var item = el("li");
        if (s.url) {
          var a = el("a", null, s.source);
          a.href = s.url;
          a.rel = "noopener noreferrer nofollow";
          a.target = "_blank";
          item.appendChild(a);
        } else {
          item.appendChild(document.createTextNode(s.source));
        }
        if (s.checked) { item.appendChild(el("span", "muted", "（核对于 " + s.checked + "）")); }
        ol.appendChild(item);
      });
      k.appendChild(ol);
      li.appendChild(k);
    }
    return li;
  }

  function poll() {
    fetch(url + "?after=" + after, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        (data.messages || []).forEach(function (m) {
          if (!document.getElementById("m" + m.id)) { list.appendChild(render(m)); }
          after = Math.max(after, m.id);
        });
      })
      .catch(function () { /* try again at the next tick */ })
      .then(function () { window.setTimeout(poll, 4000); });
  }
  window.setTimeout(poll, 4000);
})();
