// The demo phone (devtools/fake_twilio/phone.py): choose who texts, send, and watch every message's state;
// or call the shop, or be a person's phone (call.js).
import { $, element, notice, postJson, UNREACHABLE } from "./dom.js";
import { setupCalls, showCalls } from "./call.js";

const POLL_MS = 1000;
const CHANNEL_NAMES = { sms: "SMS", whatsapp: "WhatsApp" };
const OTHER = "";

let config = null;
let shown = "";

function mode() {
  return document.querySelector("input[name=mode]:checked").value;
}

function channel() {
  return document.querySelector("input[name=channel]:checked").value;
}

function chosenName() {
  const customer = config.customers.find((c) => c.phone === $("number").value.trim());
  return customer ? customer.name : "";
}

function showWiring() {
  const texting = mode() === "text";
  $("texting").hidden = !texting;
  $("calling").hidden = texting;
  $("channels").hidden = !texting;
  $("customer-setup").hidden = mode() === "person";
  $("person-setup").hidden = mode() !== "person";
  $("wiring").hidden = mode() === "person";
  $("target-label").textContent = texting ? "Texts go to" : "Calls go to";
  $("target").textContent = texting ? config.webhooks[channel()] : config.voice.webhook;
  $("shop").textContent = texting ? config.numbers[channel()] : config.voice.number;
  const number = $("number").value.trim();
  if (mode() === "person") {
    $("who").textContent = "A person's phone";
    $("via").textContent = $("person-number").value.trim();
  } else {
    $("who").textContent = chosenName() || number || "Nobody chosen";
    $("via").textContent = number ? `${number} · ${texting ? CHANNEL_NAMES[channel()] : "Voice"}` : "";
  }
  showCalls(mode(), number);
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
    notice(UNREACHABLE);
  }
}

async function send(event) {
  event.preventDefault();
  const body = $("body").value;
  if (!body.trim()) return;
  const button = document.querySelector(".compose-send");
  button.disabled = true;
  try {
    const [ok, answer, status] = await postJson("/phone/send",
      { number: $("number").value.trim(), channel: channel(), body, name: chosenName() });
    if (!ok) {
      notice(answer.error || `The fake refused the message (${status}).`);
      return;
    }
    notice("");
    $("body").value = "";
    await refresh();
  } catch (error) {
    notice(UNREACHABLE);
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
  document.querySelectorAll("input[name=channel], input[name=mode]").forEach(
    (radio) => radio.addEventListener("change", showWiring));
  $("compose").addEventListener("submit", send);
  setupCalls();
  showWiring();
  await refresh();
  setInterval(refresh, POLL_MS);
}

start();
