// Starts the rasa-webchat widget in the page's chat panel with the settings the server put in
// #acme-chat-config (channels/webchat/page.py). Kept out of the HTML so the page has no inline script.
(function () {
  "use strict";
  // rasa-webchat 1.0.1 keeps the conversation (its session id and messages) under this key.
  var WIDGET_STATE_KEY = "chat_session";
  var SIGNED_IN_AS_KEY = "acme_chat_signed_in_as";

  var config = JSON.parse(document.getElementById("acme-chat-config").textContent);
  var storage = config.widget.params.storage === "session" ? window.sessionStorage : window.localStorage;

  // A conversation belongs to the customer it started with: after "Switch customer" in the same
  // tab, start a new one rather than continue the previous customer's.
  if (storage.getItem(SIGNED_IN_AS_KEY) !== config.signedInAs) {
    storage.removeItem(WIDGET_STATE_KEY);
    storage.setItem(SIGNED_IN_AS_KEY, config.signedInAs);
  }

  window.WebChat.default(config.widget, document.getElementById("acme-chat"));
})();
