// The demo phone (devtools/fake_twilio/phone.py): choose who texts, send, and watch every message's state.
const POLL_MS = 1000;
const CHANNEL_NAMES = { sms: "SMS", whatsapp: "WhatsApp" };
const OTHER = "";

const $ = (id) => document.getElementById(id);
let config = null;
let shown = "";

function channel() {
  return document.querySelector("input[name=channel]:checked").value;
}

function chosenName() {
  const customer = config.customers.find((c) => c.phone === $("number").value.trim());
  return customer ? customer.name : "";
}

function showWiring() {
  $("target").textContent = config.webhooks[channel()];
  $("shop").textContent = config.numbers[channel()];
  const number = $("number").value.trim();
  $("who").textContent = chosenName() || number || "Nobody chosen";
  $("via").textContent = number ? `${number} · ${CHANNEL_NAMES[channel()]}` : "";
}

function notice(text) {
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function time(date) {
  const parsed = new Date(date);
  return Number.isNaN(parsed.getTime()) ? "" : parsed.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function messageItem(message) {
  const item = element("li", `msg ${message.from_phone ? "msg-sent" : "msg-received"}`);
  item.dataset.sid = message.sid;
  item.dataset.status = message.status;
  item.append(element("p", "", message.body));
  const state = message.error_code ? `${message.status} (error ${message.error_code})` : message.status;
  item.append(element("span", "msg-meta", `${CHANNEL_NAMES[message.channel]} · ${state} · ${time(message.date)}`));
  const answer = message.from_phone ? message.webhook : message.callback;
  if (answer && (message.from_phone || !answer.ok)) {
    item.append(element("span", `msg-answer ${answer.ok ? "ok" : "bad"}`, answer.text));
  }
  return item;
}

function render(messages) {
  const fingerprint = JSON.stringify(messages);
  if (fingerprint === shown) return;
  shown = fingerprint;
  const list = $("messages");
  list.replaceChildren(...(messages.length ? messages.map(messageItem) : [element("li", "empty", "No messages yet.")]));
  list.scrollTop = list.scrollHeight;
}

async function refresh() {
  const number = $("number").value.trim();
  if (!/^\+[1-9]\d{1,14}$/.test(number)) {
    render([]);
    return;
  }
  try {
    const response = await fetch(`/phone/messages?number=${encodeURIComponent(number)}`);
    if (response.ok) render((await response.json()).messages);
  } catch (error) {
    notice("The fake Twilio does not answer: is it still running?");
  }
}

async function send(event) {
  event.preventDefault();
  const body = $("body").value;
  if (!body.trim()) return;
  const button = document.querySelector(".compose-send");
  button.disabled = true;
  try {
    const response = await fetch("/phone/send", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ number: $("number").value.trim(), channel: channel(), body, name: chosenName() }),
    });
    const answer = await response.json();
    if (!response.ok) {
      notice(answer.error || `The fake refused the message (${response.status}).`);
      return;
    }
    notice("");
    $("body").value = "";
    await refresh();
  } catch (error) {
    notice("The fake Twilio does not answer: is it still running?");
  } finally {
    button.disabled = false;
    $("body").focus();
  }
}

function chooseCustomer() {
  if ($("customer").value !== OTHER) $("number").value = $("customer").value;
  showWiring();
  refresh();
}

function typeNumber() {
  const number = $("number").value.trim();
  $("customer").value = config.customers.some((c) => c.phone === number) ? number : OTHER;
  showWiring();
  refresh();
}

async function start() {
  config = await (await fetch("/phone/config")).json();
  const options = config.customers.map((c) => new Option(`${c.name} (${c.phone})`, c.phone));
  $("customer").replaceChildren(...options, new Option("Someone else: type a number", OTHER));
  $("number").value = config.customers.length ? config.customers[0].phone : "";
  $("customer").addEventListener("change", chooseCustomer);
  $("number").addEventListener("input", typeNumber);
  document.querySelectorAll("input[name=channel]").forEach((radio) => radio.addEventListener("change", showWiring));
  $("compose").addEventListener("submit", send);
  showWiring();
  await refresh();
  setInterval(refresh, POLL_MS);
}

start();
