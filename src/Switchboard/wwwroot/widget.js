/*
 * Switchboard chat widget: the loader that a host page embeds.
 *
 *   <script src="https://support.example.com/widget.js" data-org-key="pk_…" async></script>
 *
 * It adds a launcher button and, on first open, an iframe with the chat (served by the Switchboard
 * server, so the conversation, its token and its storage never touch the host page). The two talk
 * only through postMessage with explicit target origins; each side checks the other's origin and
 * window. No dependencies, no build step. docs/widget.md documents the attributes and the page API.
 */
(function () {
  "use strict";

  var MESSAGE_SOURCE = "switchboard";
  var HOST_TAG = "switchboard-widget";

  // currentScript is null inside callbacks and modules; the attribute lookup covers those embeds.
  var script = document.currentScript || document.querySelector("script[data-org-key][src*='widget.js']");
  if (!script || document.querySelector(HOST_TAG)) return; // missing, or embedded twice

  var orgKey = script.getAttribute("data-org-key");
  if (!orgKey) {
    console.error("Switchboard: the widget script needs data-org-key (copy the snippet from the console).");
    return;
  }
  var serverOrigin = new URL(script.src, location.href).origin;
  var hostOrigin = location.origin;
  if (!/^https?:/.test(hostOrigin)) {
    console.error("Switchboard: the widget needs a page served over http(s); this page's origin is " + hostOrigin + ".");
    return;
  }

  var title = script.getAttribute("data-title") || "Support";
  var greeting = script.getAttribute("data-greeting") || "";
  var color = /^#[0-9a-fA-F]{6}$/.test(script.getAttribute("data-color") || "") ? script.getAttribute("data-color") : "#1f4d3a";
  var position = script.getAttribute("data-position") === "left" ? "left" : "right";

  // The host page may describe the signed-in customer before this script runs (docs/widget.md).
  var api = window.Switchboard && typeof window.Switchboard === "object" ? window.Switchboard : {};
  window.Switchboard = api;

  var activeKey = "switchboard:active:" + orgKey;
  var host, root, launcher, badge, panel, frame;
  var frameReady = false;
  var isOpen = false;
  var pending = []; // messages for the frame, sent once it says it is ready
  var unread = 0;

  function start() {
    host = document.createElement(HOST_TAG);
    // Shown once its stylesheet has loaded, so the host page never flashes an unstyled button.
    // Set through CSSOM: allowed under a Content-Security-Policy without 'unsafe-inline'.
    host.style.display = "none";
    root = host.attachShadow({ mode: "open" });

    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = serverOrigin + "/widget/launcher.css";
    css.addEventListener("load", function () { host.style.display = ""; });
    css.addEventListener("error", function () {
      console.error("Switchboard: could not load " + css.href + "; a Content-Security-Policy must allow it in style-src.");
    });
    root.appendChild(css);

    launcher = document.createElement("button");
    launcher.type = "button";
    launcher.className = "launcher " + position;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "switchboard-panel");
    launcher.setAttribute("aria-haspopup", "dialog");
    launcher.appendChild(icon("M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.6.5-1.5.1-1.5-.7V16A2.5 2.5 0 0 1 4 13.5z", "icon-chat"));
    launcher.appendChild(icon("M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z", "icon-close"));
    badge = document.createElement("span");
    badge.className = "badge";
    badge.setAttribute("aria-hidden", "true");
    badge.hidden = true;
    launcher.appendChild(badge);
    launcher.addEventListener("click", function () { isOpen ? close() : open(); });
    updateLauncherLabel();

    panel = document.createElement("div");
    panel.id = "switchboard-panel";
    panel.className = "panel " + position;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", "Chat with " + title);
    panel.hidden = true;

    root.appendChild(panel);
    root.appendChild(launcher);
    applyColor();
    document.body.appendChild(host);
    // A visitor with a conversation going on gets the frame (and its live connection) at once, so
    // replies show on the launcher; everyone else loads it only when they open the chat.
    if (readFlag()) createFrame();

    // Esc closes from anywhere in the widget; inside the iframe the frame reports it instead.
    root.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && isOpen) {
        event.preventDefault();
        close();
      }
    });
    window.addEventListener("message", onFrameMessage);

    api.open = function (options) { open(options); };
    api.close = function () { close(); };
    api.toggle = function () { isOpen ? close() : open(); };
    api.ask = function (question) {
      if (typeof question === "string" && question.trim()) open({ ask: question });
    };
    // For the host's sign-out: the next conversation starts fresh (docs/widget.md).
    api.reset = function () {
      writeFlag(false);
      post({ type: "reset" });
    };
    window.dispatchEvent(new CustomEvent("switchboard:ready"));
  }

  function icon(path, className) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", className);
    var p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    p.setAttribute("fill", "currentColor");
    svg.appendChild(p);
    return svg;
  }

  // The launcher's icon colour follows the accent so that it keeps a 4.5:1 contrast either way.
  function applyColor() {
    host.style.setProperty("--sb-accent", color);
    host.style.setProperty("--sb-on-accent", readableOn(color));
  }

  function readableOn(hex) {
    var channels = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
    return (1.05 / (luminance + 0.05)) >= ((luminance + 0.05) / 0.05) ? "#ffffff" : "#111111";
  }

  function createFrame() {
    frame = document.createElement("iframe");
    frame.title = "Chat with " + title;
    frame.src = serverOrigin + "/widget/frame.html?orgKey=" + encodeURIComponent(orgKey) +
      "&parent=" + encodeURIComponent(hostOrigin);
    // The chat needs scripts, same-origin storage (to restore the conversation) and forms;
    // nothing else, and never top-level navigation of the host page. On the server's own pages a
    // sandbox with scripts and same-origin would be removable by the frame, so it is left off.
    if (serverOrigin !== hostOrigin) {
      frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox");
    }
    frame.setAttribute("allow", "clipboard-write");
    panel.appendChild(frame);
  }

  function open(options) {
    if (!frame) createFrame();
    if (options && options.ask) post({ type: "ask", text: options.ask });
    else if (options && typeof options.draft === "string") post({ type: "draft", text: options.draft });
    if (isOpen) {
      focusFrame();
      return;
    }
    isOpen = true;
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    unread = 0;
    updateLauncherLabel();
    post({ type: "open" });
    focusFrame();
  }

  function close() {
    if (!isOpen) return;
    // Focus goes back to the launcher only if it was in the widget: never steal it from the page.
    var focusWasInside = document.activeElement === host;
    isOpen = false;
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    updateLauncherLabel();
    post({ type: "closed" });
    if (focusWasInside) launcher.focus();
  }

  function focusFrame() {
    // Focusing the iframe element moves keyboard focus into it; the frame then focuses its input.
    if (frame) frame.focus();
    post({ type: "focus" });
  }

  function updateLauncherLabel() {
    var label = isOpen ? "Close chat with " + title : "Chat with " + title;
    if (unread > 0 && !isOpen) label += " (" + unread + (unread === 1 ? " new message)" : " new messages)");
    launcher.setAttribute("aria-label", label);
    launcher.classList.toggle("open", isOpen);
    badge.hidden = isOpen || unread === 0;
    badge.textContent = unread > 9 ? "9+" : String(unread);
  }

  function post(message) {
    message.source = MESSAGE_SOURCE;
    if (!frameReady) {
      // Only the latest of each kind matters, except questions, which must all be asked.
      if (message.type !== "ask") pending = pending.filter(function (m) { return m.type !== message.type; });
      pending.push(message);
      return;
    }
    frame.contentWindow.postMessage(message, serverOrigin);
  }

  function onFrameMessage(event) {
    // Only our own frame, from the server's origin: any other window could post anything.
    if (!frame || event.source !== frame.contentWindow || event.origin !== serverOrigin) return;
    var data = event.data;
    if (!data || data.source !== MESSAGE_SOURCE) return;

    if (data.type === "ready") {
      frameReady = true;
      frame.contentWindow.postMessage({
        source: MESSAGE_SOURCE,
        type: "init",
        title: title,
        greeting: greeting,
        color: color,
        open: isOpen,
        customer: plainObject(api.customer),
        context: plainObject(api.context)
      }, serverOrigin);
      var queued = pending;
      pending = [];
      queued.forEach(function (m) { frame.contentWindow.postMessage(m, serverOrigin); });
    } else if (data.type === "close") {
      close();
    } else if (data.type === "unread") {
      unread = isOpen ? 0 : Math.max(0, data.count | 0);
      updateLauncherLabel();
    } else if (data.type === "session") {
      writeFlag(data.active === true);
    }
  }

  // Only a yes/no in the host page's storage: the conversation itself stays in the frame's origin.
  function readFlag() {
    try {
      return localStorage.getItem(activeKey) === "1";
    } catch (e) {
      return false;
    }
  }

  function writeFlag(active) {
    try {
      if (active) localStorage.setItem(activeKey, "1");
      else localStorage.removeItem(activeKey);
    } catch (e) { /* storage blocked: the frame then loads on first open, as for a new visitor */ }
  }

  // postMessage copies with structured clone, which throws on functions and DOM nodes: send data only.
  function plainObject(value) {
    if (!value || typeof value !== "object") return null;
    try {
      return JSON.parse(JSON.stringify(value));
    } catch (e) {
      console.error("Switchboard: window.Switchboard.customer and .context must be plain JSON objects.", e);
      return null;
    }
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start, { once: true });
})();
