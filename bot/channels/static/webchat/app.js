/* The web chat page: renders the conversation and talks to Rasa over socket.io.
 *
 * Everything a student or the assistant says is put on the page as text (textContent,
 * never innerHTML); links are made only of http(s) URLs; images and files only load from
 * http(s) URLs or this server's media paths. The session id is issued by the server and
 * kept in localStorage, so a reload or a reconnect after a server restart continues the
 * same conversation, whose history the server returns.
 */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("webchat-config").textContent || "{}");
  var STORE_KEY = "coach.webchat.session";
  var SEND_TIMEOUT_MS = 60000;
  var TIME_GAP_S = 5 * 60;
  var GREETING = "/greet";
  var maxChars = cfg.maxChars || 2000;

  var list = document.getElementById("messages");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var sendButton = document.getElementById("send");
  var banner = document.getElementById("banner");
  var titleEl = document.getElementById("title");
  var typingTitle = document.getElementById("typing-title");

  var state = {
    sessionId: null,
    online: false,
    everConnected: false,
    lastAt: 0,
    pending: 0,
    typingRow: null,
    historyLoaded: false
  };

  // -- storage (private windows may refuse localStorage) --------------------------------

  var memoryStore = {};
  function loadSession() {
    try { return window.localStorage.getItem(STORE_KEY); } catch (e) { return memoryStore[STORE_KEY] || null; }
  }
  function saveSession(id) {
    try { window.localStorage.setItem(STORE_KEY, id); } catch (e) { memoryStore[STORE_KEY] = id; }
  }

  // -- small DOM helpers -----------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function safeUrl(raw) {
    if (typeof raw !== "string" || !raw) { return null; }
    try {
      var url = new URL(raw, window.location.href);
      if (url.protocol !== "http:" && url.protocol !== "https:") { return null; }
      return url.href;
    } catch (e) {
      return null;
    }
  }

  var LINK = /https?:\/\/[^\s<>"'，。！？；、）】》「」]+/g;
  var TRAILING = /[.,;:!?)\]}'"]+$/;

  // Text with http(s) links made clickable; everything else stays text nodes.
  function appendText(parent, text) {
    var last = 0;
    var match;
    LINK.lastIndex = 0;
    while ((match = LINK.exec(text)) !== null) {
      var found = match[0];
      var trail = found.match(TRAILING);
      if (trail) { found = found.slice(0, found.length - trail[0].length); }
      var href = safeUrl(found);
      if (!href || found.length === 0) { continue; }
      if (match.index > last) { parent.appendChild(document.createTextNode(text.slice(last, match.index))); }
      var a = el("a", null, found);
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
      parent.appendChild(a);
      last = match.index + found.length;
      LINK.lastIndex = last;
    }
    if (last < text.length) { parent.appendChild(document.createTextNode(text.slice(last))); }
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function timeLabel(seconds) {
    var d = new Date(seconds * 1000);
    var now = new Date();
    var hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
    var startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
    var day = 24 * 3600 * 1000;
    if (d.getTime() >= startOfToday) { return hm; }
    if (d.getTime() >= startOfToday - day) { return "昨天 " + hm; }
    if (d.getTime() >= startOfToday - 6 * day) {
      return "星期" + "日一二三四五六".charAt(d.getDay()) + " " + hm;
    }
    if (d.getFullYear() === now.getFullYear()) { return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + hm; }
    return d.getFullYear() + "年" + (d.getMonth() + 1) + "月" + d.getDate() + "日 " + hm;
  }

  function nearBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  }
  function scrollDown(force) {
    if (force || nearBottom()) { list.scrollTop = list.scrollHeight; }
  }

  function addTime(at) {
    if (!at) { at = Date.now() / 1000; }
    if (at - state.lastAt > TIME_GAP_S) {
      var t = el("div", "time", timeLabel(at));
      list.insertBefore(t, state.typingRow);
    }
    state.lastAt = Math.max(state.lastAt, at);
  }

  function insert(node) {
    list.insertBefore(node, state.typingRow);
  }

  // -- messages --------------------------------------------------------------------------

  function botAvatar() {
    var img = el("img", "avatar");
    img.src = "avatar.svg";
    img.alt = "";
    return img;
  }

  function disableOldChips() {
    var chips = list.querySelectorAll(".chips .chip:not(:disabled)");
    for (var i = 0; i < chips.length; i++) { chips[i].disabled = true; }
  }

  function renderBot(msg, live) {
    addTime(msg.at);
    var row = el("div", "row bot");
    var content = el("div", "content");
    row.appendChild(botAvatar());
    row.appendChild(content);
    var who = msg.counselor ? "生涯顾问 " + msg.counselor : (cfg.agency || "助手");
    if (msg.counselor) {
      content.appendChild(el("div", "who", who));
    }
    if (msg.text) {
      var bubble = el("div", msg.format === "table" ? "bubble table" : "bubble");
      bubble.appendChild(el("span", "sr-only", who + "说："));
      appendText(bubble, msg.text);
      content.appendChild(bubble);
    }
    if (msg.image) {
      var src = safeUrl(msg.image);
      if (src) {
        var link = el("a", "photo-link");
        link.href = src;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        var img = el("img", "photo");
        img.alt = "图片（点击查看大图）";
        img.src = src;
        img.addEventListener("load", function () { scrollDown(false); });
        img.addEventListener("error", function () { img.className = "photo broken"; img.alt = "图片加载失败"; });
        link.appendChild(img);
        if (msg.text) { link.style.marginTop = "8px"; }
        content.appendChild(link);
      }
    }
    if (msg.attachment) {
      var href = safeUrl(msg.attachment.url);
      if (href) {
        var card = el("a", "file-card");
        card.href = href;
        card.target = "_blank";
        card.rel = "noopener noreferrer";
        card.setAttribute("download", msg.attachment.name || "");
        var meta = el("div", "file-meta");
        meta.appendChild(el("div", "file-name", msg.attachment.name || "文件"));
        meta.appendChild(el("div", "file-size", fileSize(msg.attachment.size)));
        var isPdf = /pdf/i.test(msg.attachment.mime || "") || /\.pdf$/i.test(msg.attachment.name || "");
        var icon = el("div", "file-icon" + (isPdf ? "" : " other"), isPdf ? "PDF" : "文件");
        icon.setAttribute("aria-hidden", "true");
        card.appendChild(meta);
        card.appendChild(icon);
        card.setAttribute("aria-label", "文件：" + (msg.attachment.name || "文件") + "，点击下载");
        if (msg.text || msg.image) { card.style.marginTop = "8px"; }
        content.appendChild(card);
      }
    }
    insert(row);
    if (msg.buttons && msg.buttons.length) {
      if (live) { disableOldChips(); }
      var group = el("div", "chips");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "快捷回复");
      msg.buttons.forEach(function (b) {
        var chip = el("button", "chip", b.title);
        chip.type = "button";
        chip.addEventListener("click", function () {
          if (!state.online) { return; }
          var all = group.querySelectorAll(".chip");
          for (var i = 0; i < all.length; i++) { all[i].disabled = true; }
          chip.classList.add("chosen");
          send(b.payload, b.title);
        });
        group.appendChild(chip);
      });
      insert(group);
    }
    scrollDown(live);
  }

  function fileSize(bytes) {
    if (typeof bytes !== "number" || !isFinite(bytes) || bytes < 0) { return ""; }
    if (bytes < 1024) { return bytes + " B"; }
    if (bytes < 1024 * 1024) { return (bytes / 1024).toFixed(1) + " KB"; }
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function renderUser(text, at) {
    addTime(at);
    var row = el("div", "row user");
    var avatar = el("div", "avatar me", "我");
    avatar.setAttribute("aria-hidden", "true");
    var content = el("div", "content");
    var line = el("div", "bubble-line");
    var bubble = el("div", "bubble");
    bubble.appendChild(el("span", "sr-only", "我说："));
    appendText(bubble, text);
    line.appendChild(bubble);
    content.appendChild(line);
    row.appendChild(avatar);
    row.appendChild(content);
    insert(row);
    scrollDown(true);
    return line;
  }

  function renderNotice(text) {
    var p = el("div", "notice", text);
    insert(p);
  }

  function renderHistory(messages) {
    // Keep rows that are still on their way (pending/failed) at the end.
    var keep = list.querySelectorAll(".row.user.local");
    list.textContent = "";
    state.typingRow = null;
    state.lastAt = 0;
    var redactedRun = false;
    var lastBotIndex = -1;
    messages.forEach(function (m, i) { if (m.role === "bot") { lastBotIndex = i; } });
    messages.forEach(function (m, i) {
      if (m.role === "user") {
        if (m.redacted) {
          if (!redactedRun) { addTime(m.at); renderNotice("你在同意记录之前发的消息没有保存"); }
          redactedRun = true;
          return;
        }
        redactedRun = false;
        renderUser(m.text, m.at);
      } else {
        redactedRun = false;
        var live = false;
        renderBot(m, live);
        if (m.buttons && i !== lastBotIndex) {
          var groups = list.querySelectorAll(".chips");
          var g = groups[groups.length - 1];
          if (g) {
            var chips = g.querySelectorAll(".chip");
            for (var k = 0; k < chips.length; k++) { chips[k].disabled = true; }
          }
        }
      }
    });
    // Chips answered already (a user message follows the last bot message) are closed.
    if (messages.length && messages[messages.length - 1].role === "user") { disableOldChips(); }
    for (var j = 0; j < keep.length; j++) { list.appendChild(keep[j]); }
    scrollDown(true);
  }

  function messagesFromHistory(messages) {
    // Intent triggers the page sent itself (the greeting) are not shown; redacted
    // messages before the first bot message are that greeting, too.
    var seenBot = false;
    return messages.filter(function (m) {
      if (m.role === "bot") { seenBot = true; return true; }
      if (m.redacted && !seenBot) { return false; }
      if (!m.redacted && typeof m.text === "string" && m.text.charAt(0) === "/") { return false; }
      return true;
    });
  }

  // -- typing indicator and connection state ---------------------------------------------

  function showTyping(on) {
    if (on && !state.typingRow) {
      var row = el("div", "row bot typing");
      row.setAttribute("aria-hidden", "true");
      row.appendChild(botAvatar());
      var content = el("div", "content");
      var bubble = el("div", "bubble");
      bubble.appendChild(el("span", "dot"));
      bubble.appendChild(el("span", "dot"));
      bubble.appendChild(el("span", "dot"));
      content.appendChild(bubble);
      row.appendChild(content);
      list.appendChild(row);
      state.typingRow = row;
      titleEl.hidden = true;
      typingTitle.hidden = false;
      scrollDown(false);
    } else if (!on && state.typingRow) {
      state.typingRow.remove();
      state.typingRow = null;
      titleEl.hidden = false;
      typingTitle.hidden = true;
    }
  }

  function setOnline(online, message) {
    state.online = online;
    updateSendButton();
    if (online) {
      if (!banner.hidden && state.everConnected) {
        banner.textContent = "已重新连接";
        banner.className = "banner ok";
        window.setTimeout(function () { if (state.online) { banner.hidden = true; } }, 2500);
      } else {
        banner.hidden = true;
      }
    } else {
      banner.className = "banner";
      banner.textContent = message;
      banner.hidden = false;
      showTyping(false);
    }
  }

  function updateSendButton() {
    var text = input.value.trim();
    sendButton.disabled = !state.online || !text;
    sendButton.title = state.online ? "" : "网络已断开，暂时不能发送";
  }

  // -- sending ---------------------------------------------------------------------------

  var socket = null;

  function markFailed(line, payload, display, reason) {
    var old = line.querySelector(".state");
    if (old) { old.remove(); }
    var retry = el("button", "state failed", "!");
    retry.type = "button";
    retry.setAttribute("aria-label", (reason || "发送失败") + "，点击重新发送");
    retry.title = (reason || "发送失败") + "，点击重发";
    retry.addEventListener("click", function () {
      if (!state.online) { return; }
      retry.remove();
      emit(line, payload);
    });
    line.insertBefore(retry, line.firstChild);
    line.closest(".row").classList.add("local");
  }

  function emit(line, payload) {
    var spinner = null;
    if (line) {
      spinner = el("span", "state pending");
      spinner.setAttribute("role", "img");
      spinner.setAttribute("aria-label", "发送中");
      line.insertBefore(spinner, line.firstChild);
      line.closest(".row").classList.add("local");
    }
    state.pending += 1;
    showTyping(true);
    socket.timeout(SEND_TIMEOUT_MS).emit(cfg.userEvent || "user_uttered",
      { message: payload, session_id: state.sessionId },
      function (err, result) {
        state.pending = Math.max(0, state.pending - 1);
        if (state.pending === 0) { showTyping(false); }
        if (spinner) { spinner.remove(); }
        if (!err && result && result.ok) {
          if (line) { line.closest(".row").classList.remove("local"); }
          return;
        }
        var reason = "发送失败";
        if (result && result.error === "too_long") { reason = "消息太长了（最多 " + result.max + " 字）"; }
        if (line) { markFailed(line, payload, null, reason); }
      });
  }

  function send(payload, display) {
    if (!state.online || !socket) { return false; }
    var shown = display !== undefined ? display : payload;
    var line = display === null ? null : renderUser(shown, Date.now() / 1000);
    emit(line, payload);
    return true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    if (text.length > maxChars) {
      setTemporaryBanner("消息太长了，最多 " + maxChars + " 个字");
      return;
    }
    if (send(text)) {
      disableOldChips();
      input.value = "";
      autosize();
      updateSendButton();
      input.focus();
    }
  });

  function setTemporaryBanner(text) {
    banner.className = "banner";
    banner.textContent = text;
    banner.hidden = false;
    window.setTimeout(function () { if (state.online) { banner.hidden = true; } }, 3000);
  }

  input.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an IME candidate is not a send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.dispatchEvent(new Event("submit", { cancelable: true })); }
    }
  });

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }
  input.addEventListener("input", function () { autosize(); updateSendButton(); });

  // -- history and the connection ----------------------------------------------------------

  function fetchHistory(sessionId) {
    return fetch("history", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: sessionId }),
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (r) {
      if (!r.ok) { throw new Error("history " + r.status); }
      return r.json();
    }).then(function (data) {
      return messagesFromHistory(data.messages || []);
    });
  }

  function syncHistory(greetIfEmpty) {
    if (!state.sessionId) { return; }
    var sessionId = state.sessionId;
    fetchHistory(sessionId).then(function (messages) {
      if (sessionId !== state.sessionId) { return; }
      state.historyLoaded = true;
      if (messages.length) {
        renderHistory(messages);
      } else if (greetIfEmpty && !list.querySelector(".row")) {
        send(GREETING, null);  // a new conversation: the assistant introduces itself
      }
    }).catch(function () {
      if (greetIfEmpty && !list.querySelector(".row")) { send(GREETING, null); }
    });
  }

  function connect() {
    if (typeof window.io !== "function") {
      setOnline(false, "聊天组件没有加载成功，请刷新页面重试");
      return;
    }
    socket = window.io({
      path: cfg.socketPath,
      transports: ["websocket", "polling"],
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      timeout: 10000
    });
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: loadSession() });
    });
    socket.on("session_confirm", function (id) {
      var first = !state.everConnected;
      var changed = id !== state.sessionId;
      state.sessionId = id;
      saveSession(id);
      setOnline(true);
      state.everConnected = true;
      if (first || changed) {
        syncHistory(true);
      } else {
        syncHistory(false);  // replies sent while we were away
      }
    });
    socket.on(cfg.botEvent || "bot_uttered", function (msg) {
      if (!msg || typeof msg !== "object") { return; }
      renderBot(msg, true);
    });
    socket.on("disconnect", function () {
      setOnline(false, "网络连接已断开，正在重新连接…");
    });
    socket.on("connect_error", function () {
      setOnline(false, state.everConnected ? "网络连接已断开，正在重新连接…" : "暂时连不上服务器，正在重试…");
    });
  }

  window.addEventListener("offline", function () { setOnline(false, "网络连接已断开，正在重新连接…"); });
  window.addEventListener("online", function () {
    if (socket && socket.connected && state.sessionId) { setOnline(true); syncHistory(false); }
  });

  input.setAttribute("maxlength", String(maxChars));
  setOnline(false, "正在连接…");
  connect();
}());
