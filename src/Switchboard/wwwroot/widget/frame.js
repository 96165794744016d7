/*
 * The chat inside the widget's iframe (docs/widget-protocol.md is the contract with the server).
 *
 * Served from the Switchboard server, so its requests are same-origin. It sends with fetch and a
 * clientMessageId that stays the same across retries, receives with Server-Sent Events, and keeps
 * the session token in this origin's localStorage so a reload of the host page resumes the
 * conversation. Message text is only ever set with textContent: customers and models write it.
 */
(function () {
  "use strict";

  var MESSAGE_SOURCE = "switchboard";
  var MAX_LENGTH = 4000;
  var AUTO_RETRIES = 5;

  var params = new URLSearchParams(location.search);
  var orgKey = params.get("orgKey") || "";
  var parentOrigin = originOf(params.get("parent"));
  var embedded = window.parent !== window && parentOrigin !== null;
  var storageKey = "switchboard:" + orgKey;

  var el = {};
  ["chat", "chat-title", "chat-subtitle", "greeting", "messages", "scroller", "typing", "typing-text", "notice",
    "composer", "input", "send-button", "close-button", "human-button", "new-chat-button",
    "csat", "csat-form", "csat-comment", "csat-error", "csat-send", "csat-thanks"].forEach(function (id) {
    el[id.replace(/-(\w)/g, function (_, c) { return c.toUpperCase(); })] = document.getElementById(id);
  });
  var announcer = document.createElement("p");
  announcer.className = "visually-hidden";
  announcer.setAttribute("role", "status");
  document.body.appendChild(announcer);

  var state = {
    token: null,
    identity: "",
    customer: null,
    context: null,
    lastSeq: 0,
    answeredSeq: 0,      // highest seq of a reply (ai/agent/system): token events older than it are stale
    bySeq: new Map(),    // seq -> <li>, so a message seen twice (history, SSE, resume) renders once
    outbox: [],          // customer messages not yet acknowledged: {cmid, text, li, seq, attempts, timer}
    streaming: new Map(), // replyTo seq -> {li, text} of an AI answer being written
    events: null,
    reconnectDelay: 1000,
    reconnectTimer: 0,
    disconnectedSince: 0,
    open: !embedded,
    unread: 0,
    status: "active",
    session: null,       // the promise of the session being started, so two sends start one session
    typingTimer: 0,
    myTyping: false,     // whether the server was last told the customer is typing
    myTypingTimer: 0,
    feedback: {},
    rated: false         // whether this session's satisfaction rating is stored (the prompt is not shown again)
  };
  var initialized = new Promise(function (resolve) { state.markInitialized = resolve; });
  var subtitleDefault = el.chatSubtitle.textContent;

  // ---------------------------------------------------------------- host page

  function originOf(value) {
    try {
      var url = new URL(value);
      return /^https?:$/.test(url.protocol) ? url.origin : null;
    } catch (e) {
      return null;
    }
  }

  function toHost(message) {
    if (!embedded) return;
    message.source = MESSAGE_SOURCE;
    window.parent.postMessage(message, parentOrigin); // never "*": only the page that embedded us
  }

  window.addEventListener("message", function (event) {
    if (!embedded || event.source !== window.parent || event.origin !== parentOrigin) return;
    var data = event.data;
    if (!data || data.source !== MESSAGE_SOURCE) return;
    switch (data.type) {
      case "init": init(data); break;
      case "open":
        state.open = true;
        setUnread(0);
        scrollToEnd(true);
        break;
      case "closed": state.open = false; break;
      case "focus": el.input.focus(); break;
      case "ask":
        if (typeof data.text === "string") initialized.then(function () { submitText(data.text); });
        break;
      case "draft":
        if (typeof data.text === "string") {
          el.input.value = data.text.slice(0, MAX_LENGTH);
          resizeInput();
          el.input.focus();
        }
        break;
      case "reset": initialized.then(function () { forgetSession(false); }); break;
    }
  });

  function setUnread(count) {
    state.unread = count;
    toHost({ type: "unread", count: count });
  }

  // ---------------------------------------------------------------- start-up

  function init(config) {
    if (state.initStarted) return;
    state.initStarted = true;
    var title = typeof config.title === "string" && config.title ? config.title : "Support";
    el.chatTitle.textContent = title;
    document.title = "Chat with " + title;
    var greeting = typeof config.greeting === "string" && config.greeting ? config.greeting
      : "Hi! Ask us anything. Our assistant answers right away, and a person can take over whenever you like.";
    el.greeting.textContent = greeting;
    el.greeting.hidden = false;
    applyColor(/^#[0-9a-fA-F]{6}$/.test(config.color || "") ? config.color : "#1f4d3a");
    if (config.open === true) state.open = true;
    state.customer = config.customer && typeof config.customer === "object" ? config.customer : null;
    state.context = config.context && typeof config.context === "object" ? config.context : null;
    state.identity = state.customer && state.customer.externalId ? String(state.customer.externalId) : "";

    var stored = load();
    // A stored conversation belongs to whoever was signed in when it started: on a shared
    // computer, the next customer of the host site must not see it.
    if (stored.token && (stored.identity || "") !== state.identity) {
      save(null);
      stored = {};
    }
    state.feedback = stored.feedback || {};
    state.rated = stored.csat === true;
    setStatus(stored.status || "active", false);
    var restored = stored.token ? restore(stored.token) : Promise.resolve();
    restored.then(function () {
      (stored.outbox || []).forEach(function (item) {
        if (item && typeof item.cmid === "string" && typeof item.text === "string") queue(item.cmid, item.text);
      });
      el.chat.setAttribute("aria-busy", "false");
      updateCsat();
      reportSession();
      state.markInitialized();
    });
  }

  function restore(token) {
    state.token = token;
    return catchUp().then(function (ok) {
      if (ok) connectEvents();
      scrollToEnd(true);
    });
  }

  // Pages through the history after lastSeq. Resolves false when the session is gone or unreachable.
  function catchUp() {
    var token = state.token;
    return sessionRequest("GET", "/messages?after=" + state.lastSeq).then(function (res) {
      if (token !== state.token) return false;
      if (res.status === 404) {
        forgetSession(false);
        return false;
      }
      if (!res.ok) throw new Error("history: HTTP " + res.status);
      var messages = (res.body && res.body.messages) || [];
      messages.forEach(function (m) { renderMessage(m, false); });
      return messages.length >= 500 ? catchUp() : true;
    }).catch(function () {
      scheduleReconnect();
      return false;
    });
  }

  function applyColor(color) {
    var root = document.documentElement.style;
    var onAccent = contrast(color, "#ffffff") >= contrast(color, "#111111") ? "#ffffff" : "#111111";
    root.setProperty("--accent", color);
    root.setProperty("--on-accent", onAccent);
    // Links and outlines in the accent colour need 4.5:1 on white; a light accent falls back to ink.
    root.setProperty("--accent-text", contrast(color, "#ffffff") >= 4.5 ? color : "#1b1f1d");
  }

  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  function luminance(hex) {
    var c = [1, 3, 5].map(function (i) {
      var v = parseInt(hex.substr(i, 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  // ---------------------------------------------------------------- storage

  // Storage can be unavailable (blocked third-party storage, private modes): then the chat still
  // works, it just starts over after a reload.
  function load() {
    try {
      return JSON.parse(localStorage.getItem(storageKey) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function save(patch) {
    try {
      if (patch === null) {
        localStorage.removeItem(storageKey);
        return;
      }
      var current = load();
      Object.keys(patch).forEach(function (k) { current[k] = patch[k]; });
      localStorage.setItem(storageKey, JSON.stringify(current));
    } catch (e) { /* see load() */ }
  }

  function saveOutbox() {
    save({ outbox: state.outbox.map(function (item) { return { cmid: item.cmid, text: item.text }; }) });
  }

  // ---------------------------------------------------------------- HTTP

  // A request about one session; its token is the credential, and the path names it.
  function sessionRequest(method, path, body, token) {
    return request(method, sessionUrl(token || state.token) + path, body);
  }

  function sessionUrl(token) {
    return "/api/widget/sessions/" + encodeURIComponent(token);
  }

  function request(method, url, body) {
    return fetch(url, {
      method: method,
      // The token is the credential; console cookies of this origin have no business here.
      credentials: "omit",
      headers: body === undefined ? { Accept: "application/json" } : { Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      return res.text().then(function (text) {
        var parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
        return { ok: res.ok, status: res.status, body: parsed };
      });
    });
  }

  function problemText(res, fallback) {
    return (res.body && (res.body.detail || res.body.title)) || fallback;
  }

  function ensureSession() {
    if (state.token) return Promise.resolve(state.token);
    if (state.session) return state.session;
    var body = { orgKey: orgKey };
    if (state.customer) body.customer = state.customer;
    if (state.context) body.context = state.context;
    state.session = request("POST", "/api/widget/sessions", body).then(function (res) {
      if (res.status === 401 && body.customer) {
        // The host site's userHash is wrong: its integration needs fixing, but the customer can
        // still be helped as a guest meanwhile.
        console.error("Switchboard: " + problemText(res, "customer identity not verified") + " Continuing as a guest.");
        delete body.customer;
        return request("POST", "/api/widget/sessions", body);
      }
      return res;
    }).then(function (res) {
      state.session = null;
      if (!res.ok) {
        var error = new Error(problemText(res, "The chat could not start (HTTP " + res.status + ")."));
        error.permanent = res.status >= 400 && res.status < 500 && res.status !== 429;
        throw error;
      }
      state.token = res.body.sessionToken;
      save({ token: state.token, identity: state.identity });
      reportSession();
      // Listen before the first message goes out: the answer's tokens are not stored, so a stream
      // that connects late misses them (it still gets the stored answer, by seq).
      return streamReady(connectEvents(), 3000).then(function () { return state.token; });
    }, function (error) {
      state.session = null;
      throw error;
    });
    return state.session;
  }

  // Drops the conversation: the host's sign-out, or a session the server no longer has. Unsent
  // messages can be kept, to go to the next session.
  function forgetSession(keepOutbox) {
    if (state.events) state.events.close();
    state.events = null;
    clearTimeout(state.reconnectTimer);
    state.token = null;
    state.lastSeq = 0;
    state.answeredSeq = 0;
    state.bySeq.clear();
    state.streaming.clear();
    var kept = keepOutbox === true ? state.outbox : [];
    if (!kept.length) state.outbox.forEach(function (item) { clearTimeout(item.timer); });
    state.outbox = kept;
    state.feedback = {};
    state.rated = false;
    resetCsatForm();
    el.messages.textContent = "";
    kept.forEach(function (item) { el.messages.appendChild(item.li); });
    showTyping(false);
    save(null);
    setStatus("active", false);
    if (kept.length) saveOutbox();
    reportSession();
  }

  // Lets the host page load this frame right away next time, while a conversation is going on, so
  // that replies arriving while the panel is closed show on the launcher. Nothing else is shared.
  function reportSession() {
    toHost({ type: "session", active: state.token !== null });
  }

  // ---------------------------------------------------------------- sending

  function submitText(raw) {
    var text = raw.trim();
    if (!text) return;
    if (text.length > MAX_LENGTH) {
      showNotice("Your message is " + text.length + " characters long; the limit is " + MAX_LENGTH + ".", true);
      return;
    }
    queue(newClientMessageId(), text);
    saveOutbox();
  }

  function queue(cmid, text) {
    var item = { cmid: cmid, text: text, li: null, seq: 0, attempts: 0, timer: 0 };
    item.li = buildCustomerPending(item);
    state.outbox.push(item);
    el.messages.appendChild(item.li);
    scrollToEnd(true);
    deliver(item);
  }

  // Random and unguessable without crypto.randomUUID, which plain-http pages do not have.
  function newClientMessageId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "w-" + Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function deliver(item) {
    clearTimeout(item.timer);
    item.attempts++;
    setPendingState(item, "sending");
    var token = null;
    ensureSession().then(function (t) {
      token = t;
      return sessionRequest("POST", "/messages", { clientMessageId: item.cmid, content: item.text }, token);
    }).then(function (res) {
      if (res.ok) {
        acknowledge(item, res.body);
      } else if (res.status === 404) {
        // The session is gone (a reset database): start a new one and send again, same id. Only
        // once: another message may have started the new session already.
        if (token === state.token) forgetSession(true);
        retryLater(item, 0);
      } else if (res.status >= 500 || res.status === 429) {
        retryLater(item);
      } else {
        drop(item, problemText(res, "This message could not be sent."));
      }
    }, function (error) {
      if (error && error.permanent) {
        // A wrong widget key or bad context: the site's integration, which its developer fixes
        // from the console message; the customer only needs to know the chat is unavailable.
        console.error("Switchboard: " + error.message);
        drop(item, "the chat is not available right now.");
        showNotice("Sorry, this chat is not available right now.", true);
      } else {
        retryLater(item); // the network: the server may or may not have it, and the same id makes that safe
      }
    });
  }

  function retryLater(item, delay) {
    if (item.attempts >= AUTO_RETRIES) {
      setPendingState(item, "failed");
      return;
    }
    setPendingState(item, "sending");
    var wait = delay !== undefined ? delay : Math.min(16000, 1000 * Math.pow(2, item.attempts - 1));
    item.timer = setTimeout(function () { deliver(item); }, wait);
  }

  function acknowledge(item, posted) {
    removeFromOutbox(item);
    if (!posted || typeof posted.seq !== "number") return;
    item.seq = posted.seq;
    var existing = state.bySeq.get(posted.seq);
    if (existing && existing !== item.li) {
      item.li.remove(); // the stream delivered it first
      return;
    }
    markSent(item.li, posted.seq, posted.messageId);
    // Not lastSeq: replies stored before this message may still be on their way, and resuming
    // after this seq would skip them. The stream's copy of this message is skipped by seq.
    state.bySeq.set(posted.seq, item.li);
    placeInOrder(item.li);
  }

  function drop(item, reason) {
    removeFromOutbox(item);
    setPendingState(item, "rejected", reason);
  }

  function removeFromOutbox(item) {
    clearTimeout(item.timer);
    state.outbox = state.outbox.filter(function (other) { return other !== item; });
    saveOutbox();
  }

  window.addEventListener("online", function () {
    state.outbox.forEach(function (item) {
      if (item.li.classList.contains("msg-failed")) {
        item.attempts = 0;
        deliver(item);
      }
    });
    if (state.token && !state.events) {
      state.reconnectDelay = 1000;
      scheduleReconnect(0);
    }
  });

  // ---------------------------------------------------------------- receiving

  // Resolves when the stream is open, has failed, or after `ms`, whichever comes first.
  function streamReady(source, ms) {
    if (!source) return Promise.resolve();
    return new Promise(function (resolve) {
      if (source.readyState === EventSource.OPEN) return resolve();
      source.addEventListener("open", function () { resolve(); }, { once: true });
      source.addEventListener("error", function () { resolve(); }, { once: true });
      setTimeout(resolve, ms);
    });
  }

  function connectEvents() {
    if (!state.token || state.events || typeof EventSource === "undefined") return null;
    clearTimeout(state.reconnectTimer);
    // EventSource reconnects by itself after a dropped connection and then sends Last-Event-ID
    // (the seq of the last message); ?after covers the first connection of this page.
    var source = new EventSource(sessionUrl(state.token) + "/events?after=" + state.lastSeq);
    state.events = source;
    source.addEventListener("open", function () {
      state.reconnectDelay = 1000;
      setConnected(true);
    });
    source.addEventListener("message", function (e) { handleEvent(e, function (m) { renderMessage(m, true); }); });
    source.addEventListener("token", function (e) { handleEvent(e, onToken); });
    source.addEventListener("typing", function (e) { handleEvent(e, onTyping); });
    source.addEventListener("status", function (e) { handleEvent(e, function (s) { setStatus(s.status, true); }); });
    source.addEventListener("error", function () {
      setConnected(false);
      if (source.readyState === EventSource.CLOSED) {
        // The server refused the stream (an HTTP error), which EventSource does not retry.
        source.close();
        if (state.events === source) state.events = null;
        scheduleReconnect();
      }
    });
    return source;
  }

  function handleEvent(event, handler) {
    var data;
    try {
      data = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (data && typeof data === "object") handler(data);
  }

  function scheduleReconnect(delay) {
    if (!state.token) return;
    clearTimeout(state.reconnectTimer);
    var wait = delay !== undefined ? delay : state.reconnectDelay;
    state.reconnectDelay = Math.min(30000, state.reconnectDelay * 2);
    state.reconnectTimer = setTimeout(function () {
      if (state.events) return;
      catchUp().then(function (ok) { if (ok) connectEvents(); });
    }, wait);
  }

  function setConnected(connected) {
    if (connected) {
      state.disconnectedSince = 0;
      el.chatSubtitle.textContent = subtitleFor(state.status);
      return;
    }
    if (!state.disconnectedSince) state.disconnectedSince = Date.now();
    // Brief drops are normal (proxies, sleeping laptops); say so only when one lasts.
    setTimeout(function () {
      if (state.disconnectedSince && Date.now() - state.disconnectedSince >= 4000) {
        el.chatSubtitle.textContent = "Reconnecting…";
      }
    }, 4100);
  }

  function renderMessage(m, live) {
    if (!m || typeof m.seq !== "number" || typeof m.content !== "string") return;
    if (state.bySeq.has(m.seq)) return;
    var type = ["user", "ai", "agent", "system"].indexOf(m.messageType) >= 0 ? m.messageType : "system";
    var li = type === "user" ? adoptPending(m) : null;
    if (!li) {
      li = buildMessage(m, type);
      placeInOrder(li);
    }
    state.bySeq.set(m.seq, li);
    state.lastSeq = Math.max(state.lastSeq, m.seq);
    var changed = statusOf(m);
    if (changed && changed !== state.status) setStatus(changed, live);
    var agentName = agentNameOf(m);
    if (agentName && state.status === "escalated" && state.agentName !== agentName) {
      state.agentName = agentName;
      setStatus("escalated", live);
    }
    if (type !== "user") {
      state.answeredSeq = Math.max(state.answeredSeq, m.seq);
      // The stored answer replaces the bubble that was streaming it.
      state.streaming.forEach(function (s, replyTo) {
        if (replyTo < m.seq) {
          if (s.text.data) li.setAttribute("data-streamed", "true");
          s.li.remove();
          state.streaming.delete(replyTo);
        }
      });
      showTyping(false);
      if (live && !state.open) setUnread(state.unread + 1);
    }
    scrollToEnd(type === "user");
  }

  // The stream can deliver the customer's own message before the POST that sent it returns.
  function adoptPending(m) {
    for (var i = 0; i < state.outbox.length; i++) {
      var item = state.outbox[i];
      if (!item.seq && item.text.trim() === m.content.trim()) {
        item.seq = m.seq;
        removeFromOutbox(item);
        markSent(item.li, m.seq, m.id, m.createdAt);
        placeInOrder(item.li);
        return item.li;
      }
    }
    return null;
  }

  function onToken(t) {
    if (typeof t.replyTo !== "number" || typeof t.delta !== "string") return;
    if (state.answeredSeq > t.replyTo) return; // its stored message is already shown
    var s = state.streaming.get(t.replyTo);
    if (!s) {
      var li = document.createElement("li");
      li.className = "msg msg-ai msg-streaming";
      li.setAttribute("data-reply-to", String(t.replyTo));
      li.setAttribute("data-order", String(t.replyTo + 0.5));
      // Not announced while it grows word by word; the stored message is announced once, whole.
      li.setAttribute("aria-hidden", "true");
      li.appendChild(textElement("p", "msg-author", "Assistant"));
      var bubble = textElement("p", "msg-bubble", "");
      var text = document.createTextNode("");
      bubble.appendChild(text);
      li.appendChild(bubble);
      s = { li: li, text: text };
      state.streaming.set(t.replyTo, s);
      placeInOrder(li);
    }
    // reset: the model failed part-way and another answer follows; what was streamed so far is void.
    if (t.reset === true) s.text.data = "";
    s.text.appendData(t.delta);
    showTyping(false);
    scrollToEnd(false);
  }

  function onTyping(t) {
    if (t.who === "customer") return; // our own typing, echoed to every listener of the session
    if (t.typing === true) {
      if (t.who === "ai" && state.streaming.size > 0) return;
      el.typingText.textContent = t.who === "agent"
        ? (typeof t.name === "string" && t.name ? t.name + " is typing" : "An agent is typing")
        : "The assistant is typing";
      showTyping(true);
    } else {
      showTyping(false);
    }
  }

  function showTyping(visible) {
    clearTimeout(state.typingTimer);
    el.typing.hidden = !visible;
    if (visible) {
      // A lost "typing: false" (a dropped connection) must not leave the dots forever.
      state.typingTimer = setTimeout(function () { el.typing.hidden = true; }, 60000);
      scrollToEnd(false);
    }
  }

  function subtitleFor(status) {
    if (status === "escalated") return state.agentName ? "You are chatting with " + state.agentName : "A person will join shortly";
    if (status === "resolved") return "This chat is resolved";
    return subtitleDefault;
  }

  function setStatus(status, live) {
    if (["active", "escalated", "resolved"].indexOf(status) < 0) return;
    state.status = status;
    save({ status: status });
    if (!state.disconnectedSince) el.chatSubtitle.textContent = subtitleFor(status);
    if (status !== "escalated") state.agentName = null;
    var resolved = status === "resolved";
    el.humanButton.hidden = resolved;
    el.humanButton.disabled = status === "escalated";
    el.humanButton.textContent = status === "escalated" ? (state.agentName ? "A person is here" : "A person is on the way") : "Talk to a person";
    el.newChatButton.hidden = !resolved;
    // A resolved chat takes no more messages: the customer starts a new one (the server would refuse an escalation in it).
    el.input.disabled = resolved;
    el.sendButton.disabled = resolved;
    el.input.placeholder = resolved ? "This chat is resolved" : "Write a message…";
    el.composer.classList.toggle("composer-resolved", resolved);
    if (resolved) stopMyTyping();
    if (status === "escalated") {
      showNotice(state.agentName
        ? state.agentName + " has joined the chat."
        : "A person will join shortly. You can keep writing here; they will see the whole conversation.", false);
    } else if (resolved) {
      showNotice("This chat is resolved. Thank you for talking to us! Start a new chat any time.", false);
    } else {
      hideNotice();
    }
    updateCsat();
  }

  // The status a system message records (docs/widget-protocol.md): the history of a chat that was
  // resolved, handed back or escalated while this page was closed brings the widget up to date.
  function statusOf(m) {
    var meta = m && m.messageType === "system" ? m.aiMetadata : null;
    if (!meta || typeof meta !== "object") return null;
    if (meta.resolution) return "resolved";
    if (meta.handback) return "active";
    if (meta.escalation) return "escalated";
    return null;
  }

  // ---------------------------------------------------------------- satisfaction (CSAT)

  // A resolved chat asks once "How did we do?"; after a rating (or when the server says this chat
  // was already rated) it only thanks.
  function updateCsat() {
    var show = state.status === "resolved" && state.token !== null;
    el.csat.hidden = !show;
    if (!show) return;
    el.csatForm.hidden = state.rated;
    el.csatThanks.hidden = !state.rated;
  }

  function csatScore() {
    var checked = el.csatForm.querySelector("input[name=score]:checked");
    return checked ? parseInt(checked.value, 10) : 0;
  }

  function lightStars(score) {
    Array.prototype.forEach.call(el.csatForm.querySelectorAll(".csat-stars label"), function (label, i) {
      label.classList.toggle("lit", i < score);
    });
  }

  function resetCsatForm() {
    el.csatForm.reset();
    lightStars(0);
    el.csatSend.disabled = true;
    el.csatError.hidden = true;
  }

  function csatError(text) {
    el.csatError.textContent = text;
    el.csatError.hidden = false;
    el.csatSend.disabled = csatScore() === 0;
  }

  function markRated() {
    state.rated = true;
    save({ csat: true });
    updateCsat();
    // Focus reads the thanks out (an extra announcement would read it twice).
    el.csatThanks.focus();
  }

  el.csatForm.addEventListener("change", function () {
    var score = csatScore();
    lightStars(score);
    el.csatSend.disabled = score === 0;
  });

  el.csatForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var score = csatScore();
    if (!score || !state.token || state.rated) return;
    var comment = el.csatComment.value.trim();
    var body = { score: score };
    if (comment) body.comment = comment;
    el.csatSend.disabled = true;
    el.csatError.hidden = true;
    sessionRequest("POST", "/csat", body).then(function (res) {
      // 409 naming anything but the token: this chat was rated already (another tab, another device).
      if (res.ok || (res.status === 409 && !(res.body && res.body.field === "token"))) {
        markRated();
      } else {
        csatError(problemText(res, "Your rating could not be saved (HTTP " + res.status + ")."));
      }
    }).catch(function () {
      csatError("Your rating could not be sent. Please check your connection and try again.");
    });
  });

  // The agent's display name, from an agent's message or the "has joined" notice (aiMetadata.agent.name).
  function agentNameOf(m) {
    var agent = m && m.aiMetadata && m.aiMetadata.agent;
    return agent && typeof agent.name === "string" && agent.name ? agent.name : null;
  }

  // ---------------------------------------------------------------- rendering

  var timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  var authors = { user: "You", ai: "Assistant", agent: "Support agent", system: "Notice" };

  function textElement(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    node.textContent = text;
    return node;
  }

  function svgIcon(path) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    p.setAttribute("fill", "currentColor");
    svg.appendChild(p);
    return svg;
  }

  function buildMessage(m, type) {
    var li = document.createElement("li");
    li.className = "msg msg-" + type;
    li.setAttribute("data-seq", String(m.seq));
    li.setAttribute("data-order", String(m.seq));
    li.setAttribute("data-message-type", type);
    if (typeof m.id === "string") li.setAttribute("data-message-id", m.id);

    var agentName = agentNameOf(m);
    var joined = type === "system" && agentName !== null;
    if (joined) li.classList.add("msg-joined");
    var authorName = type === "agent" && agentName ? agentName : authors[type];
    var author = textElement("p", type === "ai" || type === "agent" ? "msg-author" : "visually-hidden", authorName);
    li.appendChild(author);
    var bubble = textElement("p", "msg-bubble", "");
    if (joined) {
      // "<name> has joined the chat.": the name stands out, with a person icon.
      bubble.appendChild(svgIcon("M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9zm0 2c-3.3 0-9 1.7-9 5v2h18v-2c0-3.3-5.7-5-9-5z"));
      var rest = m.content.indexOf(agentName) === 0 ? m.content.slice(agentName.length) : null;
      if (rest !== null) {
        bubble.appendChild(textElement("strong", "joined-name", agentName));
        bubble.appendChild(document.createTextNode(rest));
      } else {
        bubble.appendChild(document.createTextNode(m.content));
      }
    } else {
      bubble.textContent = m.content;
    }
    li.appendChild(bubble);

    if (type === "ai") {
      var sources = sourcesOf(m.aiMetadata);
      if (sources.length) li.appendChild(buildSources(sources, m.seq));
      if (typeof m.id === "string") li.appendChild(buildFeedback(m.id));
    }
    li.appendChild(buildTime(m.createdAt));
    return li;
  }

  function sourcesOf(meta) {
    if (!meta || !Array.isArray(meta.sources)) return [];
    var seen = {};
    return meta.sources.filter(function (s) {
      if (!s || typeof s.title !== "string" || !s.title || seen[s.articleId || s.title]) return false;
      seen[s.articleId || s.title] = true;
      return true;
    });
  }

  function buildSources(sources, seq) {
    var box = document.createElement("div");
    box.className = "msg-sources";
    var labelId = "sources-" + seq;
    var label = textElement("p", "msg-sources-label", "Sources");
    label.id = labelId;
    box.appendChild(label);
    var list = document.createElement("ul");
    list.setAttribute("aria-labelledby", labelId);
    sources.forEach(function (s) {
      var item = document.createElement("li");
      item.className = "source";
      if (s.articleId) item.setAttribute("data-article-id", String(s.articleId));
      item.appendChild(svgIcon("M6 2h9l5 5v13a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm8 1.5V8h4.5zM8 12v1.6h8V12zm0 4v1.6h6V16z"));
      item.appendChild(document.createTextNode(s.title));
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  function buildFeedback(messageId) {
    var group = document.createElement("div");
    group.className = "msg-feedback";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Was this answer helpful?");
    group.appendChild(textElement("span", null, "Helpful?"));
    var up = feedbackButton("Yes, helpful", "M2 21h4V9H2zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7z");
    var down = feedbackButton("No, not helpful", "M22 3h-4v12h4zM2 14a2 2 0 0 0 2 2h6.3l-1 4.6v.3c0 .4.2.8.4 1.1l1.1 1 6.6-6.6c.4-.4.6-.9.6-1.4V5a2 2 0 0 0-2-2H7c-.8 0-1.5.5-1.8 1.2l-3 7.1c-.1.2-.2.5-.2.7z");
    var thanks = textElement("span", "feedback-thanks", "");
    up.setAttribute("data-helpful", "true");
    down.setAttribute("data-helpful", "false");
    group.appendChild(up);
    group.appendChild(down);
    group.appendChild(thanks);
    var given = state.feedback[messageId];
    if (given === true || given === false) {
      (given ? up : down).setAttribute("aria-pressed", "true");
      thanks.textContent = "Thanks!";
    }
    [up, down].forEach(function (button) {
      button.addEventListener("click", function () {
        var helpful = button === up;
        if (button.getAttribute("aria-pressed") === "true") return;
        up.setAttribute("aria-pressed", String(helpful));
        down.setAttribute("aria-pressed", String(!helpful));
        sessionRequest("POST", "/feedback", { messageId: messageId, helpful: helpful }).then(function (res) {
          if (!res.ok) throw new Error(problemText(res, "HTTP " + res.status));
          state.feedback[messageId] = helpful;
          save({ feedback: state.feedback });
          thanks.textContent = "Thanks!";
          announce("Thanks for your feedback.");
        }).catch(function () {
          up.setAttribute("aria-pressed", "false");
          down.setAttribute("aria-pressed", "false");
          showNotice("Your feedback could not be saved. Please try again.", true);
        });
      });
    });
    return group;
  }

  function feedbackButton(label, path) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "feedback-button";
    button.setAttribute("aria-label", label);
    button.setAttribute("aria-pressed", "false");
    button.appendChild(svgIcon(path));
    return button;
  }

  function buildTime(createdAt) {
    var date = createdAt ? new Date(createdAt) : new Date();
    var meta = document.createElement("p");
    meta.className = "msg-meta";
    var time = document.createElement("time");
    if (!isNaN(date.getTime())) {
      time.dateTime = date.toISOString();
      time.textContent = timeFormat.format(date);
    }
    meta.appendChild(time);
    return meta;
  }

  function buildCustomerPending(item) {
    var li = document.createElement("li");
    li.className = "msg msg-user msg-pending";
    li.setAttribute("data-message-type", "user");
    li.setAttribute("data-client-message-id", item.cmid);
    li.setAttribute("data-order", "Infinity");
    li.appendChild(textElement("p", "visually-hidden", authors.user));
    li.appendChild(textElement("p", "msg-bubble", item.text));
    li.appendChild(textElement("p", "msg-meta", "Sending…"));
    return li;
  }

  function setPendingState(item, pendingState, reason) {
    var li = item.li;
    var meta = li.querySelector(".msg-meta");
    var retry = li.querySelector(".retry-button");
    if (retry) retry.remove();
    li.classList.toggle("msg-pending", pendingState === "sending");
    li.classList.toggle("msg-failed", pendingState !== "sending");
    li.setAttribute("data-state", pendingState);
    if (pendingState === "sending") {
      meta.textContent = "Sending…";
    } else if (pendingState === "failed") {
      meta.textContent = "Not sent: no connection.";
      var button = textElement("button", "retry-button", "Retry");
      button.type = "button";
      button.setAttribute("aria-label", "Retry sending: " + item.text.slice(0, 60));
      button.addEventListener("click", function () {
        item.attempts = 0;
        deliver(item);
        el.input.focus();
      });
      li.appendChild(button);
      announce("Your message was not sent. Use Retry to send it again.");
    } else {
      meta.textContent = "Not sent: " + reason;
      announce("Your message was not sent: " + reason);
    }
  }

  function markSent(li, seq, messageId, createdAt) {
    li.classList.remove("msg-pending", "msg-failed");
    li.removeAttribute("data-state");
    li.setAttribute("data-seq", String(seq));
    li.setAttribute("data-order", String(seq));
    if (typeof messageId === "string") li.setAttribute("data-message-id", messageId);
    var meta = li.querySelector(".msg-meta");
    var retry = li.querySelector(".retry-button");
    if (retry) retry.remove();
    meta.replaceWith(buildTime(createdAt));
  }

  // Messages stay in seq order whatever order they arrive in; unsent ones stay last.
  function placeInOrder(li) {
    var order = Number(li.getAttribute("data-order"));
    var next = null;
    var children = el.messages.children;
    for (var i = 0; i < children.length; i++) {
      if (children[i] !== li && Number(children[i].getAttribute("data-order")) > order) {
        next = children[i];
        break;
      }
    }
    if (li.parentNode === el.messages && li.nextElementSibling === next) return; // already there: no re-announcement
    el.messages.insertBefore(li, next);
  }

  function scrollToEnd(force) {
    var s = el.scroller;
    var nearEnd = s.scrollHeight - s.scrollTop - s.clientHeight < 120;
    if (force || nearEnd) s.scrollTop = s.scrollHeight;
  }

  function showNotice(text, isError) {
    el.notice.textContent = text;
    el.notice.classList.toggle("notice-error", !!isError);
    el.notice.hidden = false;
    clearTimeout(state.noticeTimer);
    if (isError) {
      state.noticeTimer = setTimeout(function () { setStatus(state.status, false); }, 8000);
    }
  }

  function hideNotice() {
    el.notice.hidden = true;
    el.notice.textContent = "";
  }

  function announce(text) {
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // ---------------------------------------------------------------- controls

  function resizeInput() {
    el.input.style.height = "auto";
    el.input.style.height = Math.min(el.input.scrollHeight + 2, 132) + "px";
  }

  // The customer's typing, for the agent: "typing" once when they start, "stopped" after 4 s without
  // a keystroke and when the box empties. Only in a chat that has a session already.
  function noteMyTyping() {
    if (!state.token || state.status === "resolved") return;
    clearTimeout(state.myTypingTimer);
    if (!el.input.value.trim()) {
      stopMyTyping();
      return;
    }
    if (!state.myTyping) sendMyTyping(true);
    state.myTypingTimer = setTimeout(stopMyTyping, 4000);
  }

  function stopMyTyping() {
    clearTimeout(state.myTypingTimer);
    if (state.myTyping) sendMyTyping(false);
  }

  function sendMyTyping(typing) {
    state.myTyping = typing;
    // A hint only: a lost one is not retried (the agent's view drops a stale "typing" by itself).
    sessionRequest("POST", "/typing", { isTyping: typing }).catch(function () { });
  }

  el.composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = el.input.value;
    if (!text.trim() || state.status === "resolved") return;
    // No "stopped" request: the message itself ends the indicator for agents, and hints share the
    // session's rate limit with messages.
    clearTimeout(state.myTypingTimer);
    state.myTyping = false;
    initialized.then(function () { submitText(text); });
    el.input.value = "";
    resizeInput();
    el.input.focus();
  });

  el.input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      el.composer.requestSubmit();
    }
  });
  el.input.addEventListener("input", function () {
    resizeInput();
    noteMyTyping();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !event.isComposing && embedded) {
      event.preventDefault();
      toHost({ type: "close" });
    }
  });

  el.closeButton.addEventListener("click", function () { toHost({ type: "close" }); });

  el.newChatButton.addEventListener("click", function () {
    initialized.then(function () {
      forgetSession(false);
      el.input.focus();
      announce("A new chat has started.");
    });
  });
  el.closeButton.hidden = !embedded;

  el.humanButton.addEventListener("click", function () {
    el.humanButton.disabled = true;
    initialized.then(ensureSession).then(function () {
      return sessionRequest("POST", "/escalate", {});
    }).then(function (res) {
      if (!res.ok) throw new Error(problemText(res, "HTTP " + res.status));
      setStatus("escalated", true);
    }).catch(function () {
      el.humanButton.disabled = false;
      showNotice("We could not reach the team just now. Please try again in a moment.", true);
    });
  });

  // ---------------------------------------------------------------- go

  if (embedded) {
    toHost({ type: "ready" });
  } else {
    init({}); // opened directly, not in a host page: a full-page chat
  }
})();
