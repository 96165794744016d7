// The demo store's suggested questions: each asks the chat widget through its page API.
// The widget script loads async, so the buttons stay disabled until it says it is ready.
(function () {
  "use strict";

  function enable() {
    document.querySelectorAll("button[data-ask]").forEach(function (button) {
      button.disabled = false;
      button.addEventListener("click", function () {
        window.Switchboard.ask(button.getAttribute("data-ask"));
      });
    });
  }

  if (window.Switchboard && typeof window.Switchboard.ask === "function") {
    enable();
  } else {
    window.addEventListener("switchboard:ready", enable, { once: true });
  }
})();
