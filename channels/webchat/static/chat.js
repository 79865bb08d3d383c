// The Acme web chat: a native ES module on the vendored socket.io client, no build step.
//
// The page's server puts the settings in #acme-chat-config (channels/webchat/page.py). Who the
// customer is travels only as the signed token the socket presents when it connects, bound to this
// browser session's cookie (HttpOnly: this script never sees it; the socket sends it because it
// connects withCredentials); the server decides the conversation from both
// (channels/webchat/socket_channel.py). What this page does:
// - shows the conversation's history from the server on every connection (a reload or a new tab
//   sees everything), keeping one element per message id, so nothing shows twice;
// - acknowledges each message once it is on screen ("delivered" means the customer saw it);
// - keeps the renewed token the server hands it, for its next connection (a reconnect or a reload);
// - follows the server when a guest signs in in the chat (the code texted to the phone on their
//   account): a new session_confirm brings a token for the customer's conversation, kept like any
//   other, and a new history replaces what is shown, so the page is then the customer's one
//   conversation (a reload too: the guest's stored token now names the customer);
// - shows people's words apart from the assistant's, with their name, and the time of every message.
import { io } from "./vendor/socket.io-4.7.5.esm.min.js";

const config = JSON.parse(document.getElementById("acme-chat-config").textContent);
const root = document.getElementById("acme-chat");
const tokenKey = "acme_chat_token:" + config.signedInAs;
// A signed-in page brings a fresh token from its server; a guest continues with the one the chat
// server renewed last in this tab (sessionStorage: closing the tab ends a guest's conversation).
let token = config.token || sessionStorage.getItem(tokenKey) || "";
const RENEW_MS = 4 * 60 * 1000;
// What the withdraw button sends; the assistant reads it as "I no longer need a person" (actions/domain/waiting.py).
const WITHDRAW_TEXT = "I no longer need help";

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text; // always text: nothing anyone types becomes markup
  return node;
};

const header = el("header", "chat-header");
header.append(el("strong", "chat-title", config.title), el("span", "chat-subtitle", config.subtitle));
const state = el("div", "chat-state", "Connecting you to Acme...");
// what the page must keep saying about this chat (a refused token): outside the list, which every history replaces
const notice = el("p", "chat-notice");
notice.hidden = true;
const list = el("ol", "chat-messages");
list.setAttribute("aria-live", "polite");
const form = el("form", "chat-form");
const input = el("input", "chat-input");
input.placeholder = "Type your question...";
input.maxLength = 4000;
input.setAttribute("aria-label", "Your message");
const send = el("button", "chat-send", "Send");
send.type = "submit";
form.append(input, send);
root.replaceChildren(header, state, notice, list, form);

const shown = new Map(); // message id -> element
const unconfirmed = new Map(); // this tab's messages the server has not acknowledged yet, by local id

function timeOf(ts) {
  return new Date(ts * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function render(message) {
  const kind = message.from ? message.from.kind : "bot";
  const statusLine = Boolean(message.custom && message.custom.status_line);
  // a status line is about the conversation, not anyone's words: shown apart from both sides
  const item = el("li", "msg " + (statusLine ? "msg-status-line" : kind === "customer" ? "msg-customer" : "msg-reply msg-" + kind));
  item.dataset.id = message.id;
  if (kind === "agent") item.append(el("span", "msg-name", message.from.name + " · Acme customer care"));
  if (message.text) item.append(el("p", "msg-text", message.text));
  if (statusLine) {
    item.append(el("p", "msg-status", message.custom.status_line));
    if (message.custom.status === "queued") {
      // while people have the conversation, the customer can say they no longer need them
      const button = el("button", "msg-button withdraw", "I don't need help any more");
      button.type = "button";
      button.addEventListener("click", () => {
        button.disabled = true;
        say(WITHDRAW_TEXT);
      });
      item.append(button);
    }
  }
  (message.buttons || []).forEach((b) => {
    const button = el("button", "msg-button", b.title);
    button.type = "button";
    button.addEventListener("click", () => say(b.payload, b.title));
    item.append(button);
  });
  item.append(el("time", "msg-time", timeOf(message.ts)));
  return item;
}

function show(message) {
  if (!message || !message.id || shown.has(message.id)) return false;
  const joined = message.custom && message.custom.status === "joined";
  if (joined || (message.from && message.from.kind === "bot" && !message.custom)) {
    // someone has the conversation now (then the words go to them), or the assistant is back
    list.querySelectorAll("button.withdraw").forEach((b) => { b.disabled = true; });
  }
  const item = render(message);
  shown.set(message.id, item);
  list.append(item);
  list.scrollTop = list.scrollHeight;
  return true;
}

const socket = io(config.socketUrl, {
  path: config.socketPath,
  // the browser-session cookie goes with the handshake: the token is good only with it
  withCredentials: true,
  // called on every (re)connection, so a reconnect presents the latest renewed token
  auth: (cb) => cb({ token }),
});

function keep(newToken) {
  if (typeof newToken !== "string" || !newToken) return;
  token = newToken;
  sessionStorage.setItem(tokenKey, newToken);
}

const unread = new Set(); // people's replies on screen while the page was out of view

function acknowledge(ids) {
  // only people's replies ("d-<delivery>") have a delivery to mark; the newest last
  const replies = ids.filter((id) => typeof id === "string" && id.startsWith("d-"));
  if (!replies.length) return;
  socket.emit("delivered", { ids: replies });
  if (document.visibilityState === "visible") socket.emit("read", { ids: replies });
  else replies.forEach((id) => unread.add(id));
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState !== "visible" || !unread.size) return;
  socket.emit("read", { ids: [...unread] });
  unread.clear();
});

socket.on("connect", () => {
  state.textContent = "";
  state.hidden = true;
});
socket.on("disconnect", () => {
  state.hidden = false;
  state.textContent = "Reconnecting...";
});
socket.on("session_confirm", (data) => {
  keep(data && data.token);
  const account = document.querySelector(".account");
  if (data && data.signed_in && config.signedInAs === "guest" && account) {
    account.textContent = "Signed in with a code in this chat"; // the page's own sign-in never happened
  }
  if (!data || !data.token_refused) return;
  // The token this page came with was refused (it expired while the computer slept, say): a signed-in
  // page asks its server for a fresh one (once); a guest is told this is a new conversation.
  const reloaded = Number(sessionStorage.getItem("acme_chat_reloaded_at") || 0);
  if (config.token && Date.now() - reloaded > 60000) {
    sessionStorage.setItem("acme_chat_reloaded_at", String(Date.now()));
    window.location.reload();
  } else if (config.token) {
    // even a fresh token was refused: the browser keeps no cookie for this site (or the page was
    // opened under another host name than the chat's), so the chat can't tell it is still you
    tell("The chat couldn't confirm it's you (does this browser accept cookies from this site?), so this is " +
      "a new conversation, not signed in.");
  } else {
    tell("Your earlier chat couldn't be resumed, so this is a new conversation.");
  }
});
socket.on("token", (data) => keep(data && data.token));

function tell(text) {
  notice.textContent = text;
  notice.hidden = false;
}
socket.on("history", (data) => {
  // the server's record is the conversation: show it whole, in its order (on connecting, and
  // again when a guest's chat is moved to the customer's conversation)
  shown.clear();
  list.replaceChildren();
  const messages = (data && data.messages) || [];
  messages.forEach(show);
  unconfirmed.forEach((message) => show(message)); // typed while reconnecting: not on record yet, kept on screen
  acknowledge(messages.filter((m) => m.from && m.from.kind !== "customer").map((m) => m.id));
  if (!messages.length && config.initPayload) socket.emit("user_uttered", { message: config.initPayload });
});
socket.on("bot_uttered", (message) => {
  if (show(message)) acknowledge([message.id]);
});
socket.on("user_echo", (message) => show({ ...message, from: { kind: "customer" } }));
socket.on("chat_error", (data) => {
  const note = el("li", "msg msg-error", (data && data.message) || "That message could not be sent.");
  list.append(note);
});
setInterval(() => socket.connected && socket.emit("renew"), RENEW_MS);

function say(text, shownAs) {
  const words = text.trim();
  if (!words) return;
  const pending = { id: "local-" + Math.random().toString(16).slice(2), text: shownAs || words,
    ts: Date.now() / 1000, from: { kind: "customer" } };
  unconfirmed.set(pending.id, pending);
  show(pending);
  socket.emit("user_uttered", { message: words }, (reply) => {
    unconfirmed.delete(pending.id);
    // the server's id for it, so the history on the next connection doesn't show it again
    const item = shown.get(pending.id);
    if (reply && reply.id && item) {
      shown.delete(pending.id);
      shown.set(reply.id, item);
      item.dataset.id = reply.id;
    }
  });
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  say(input.value);
  input.value = "";
});
