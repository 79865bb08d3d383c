// Calls on the demo phone (devtools/fake_twilio/phone_voice.py): call the shop as the chosen customer, or be a
// person's phone that the shop rings in a warm transfer. Nothing is heard: every <Say> is read, in order.
import { $, element, notice, postJson, UNREACHABLE } from "./dom.js";

const POLL_MS = 500;
const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];
const WHO = { shop: "line-shop say", me: "line-me", line: "line-event" };

let mode = "text";
let caller = "";
let placed = null; // the SID of the call this page placed to the shop
let being = ""; // the number this page is, in person mode
let current = null; // the call shown
let acting = false;
let shown = "";

export function showCalls(newMode, number) {
  mode = newMode;
  caller = number;
  shown = "";
  render(current && visible(current) ? current : null);
  if (mode !== "text") poll();
}

function visible(call) {
  return (mode === "call" && call.sid === placed) || (mode === "person" && call.to === being);
}

function idleState() {
  if (mode === "person") return being ? `Waiting for calls to ${being}` : "Choose a number to be";
  return "No call";
}

function lineItem(line) {
  return element("li", `msg line ${WHO[line.who] || "line-event"}`, line.text);
}

function render(call) {
  current = call;
  const fingerprint = JSON.stringify([mode, being, call]);
  if (fingerprint === shown) return;
  shown = fingerprint;
  const live = call && !call.ended;
  const listening = (live && call.listening) || null;
  $("call-state").textContent = call ? call.state : idleState();
  $("call-state").dataset.state = call ? call.state : "";
  $("call-phase").textContent = call ? call.phase : "";
  $("call-phase").dataset.phase = call ? call.phase : "";
  const lines = call ? call.transcript.map(lineItem) : [];
  $("transcript").replaceChildren(...(lines.length ? lines : [element("li", "empty", mode === "person"
    ? "When the shop calls this number, its call rings here." : "Press Call to phone the shop.")]));
  $("transcript").scrollTop = $("transcript").scrollHeight;
  const ringing = Boolean(live && call.ringing && mode === "person");
  $("ring").hidden = !ringing;
  $("ring-from").textContent = ringing ? `${call.from} is calling` : "";
  $("call").hidden = mode !== "call";
  $("call").disabled = acting || Boolean(live) || !/^\+[1-9]\d{1,14}$/.test(caller);
  $("speech").disabled = $("say").disabled = acting || !(listening && listening.speech);
  const keypad = Boolean(listening ? listening.keys : live && call.conference);
  $("keypad").querySelectorAll("button").forEach((key) => { key.disabled = acting || !keypad; });
  $("keys").textContent = call && call.keys ? `Keys: ${call.keys}` : "";
  $("silence").disabled = acting || !listening;
  $("hang-up").disabled = acting || !live || ringing;
  if (call && call.error) notice(`The call broke: ${call.error}`);
}

async function poll() {
  if (acting || mode === "text") return;
  try {
    if (mode === "call" && placed) {
      const response = await fetch(`/phone/calls/${placed}`);
      if (response.ok && !acting) render((await response.json()).call);
    } else if (mode === "person" && being) {
      const response = await fetch(`/phone/incoming?number=${encodeURIComponent(being)}`);
      if (response.ok && !acting) render((await response.json()).call);
    } else {
      render(null);
    }
  } catch (error) {
    notice(UNREACHABLE);
  }
}

async function request(path, body) {
  acting = true;
  shown = "";
  render(current);
  try {
    const [ok, answer, status] = await postJson(path, body);
    if (!ok) {
      notice(answer.error || `The fake refused (${status}).`);
      return null;
    }
    notice("");
    return answer;
  } catch (error) {
    notice(UNREACHABLE);
    return null;
  } finally {
    acting = false;
    shown = "";
    render(current);
  }
}

async function act(action, body = {}) {
  if (!current) return;
  const answer = await request(`/phone/calls/${current.sid}/${action}`, body);
  if (answer) render(answer.call);
}

async function placeCall() {
  const answer = await request("/phone/calls", { number: caller });
  if (answer) {
    placed = answer.call.sid;
    render(answer.call);
  }
}

async function say(event) {
  event.preventDefault();
  const speech = $("speech").value.trim();
  if (!speech) return;
  $("speech").value = "";
  await act("say", { speech });
  $("speech").focus();
}

async function be(event) {
  event.preventDefault();
  const number = $("person-number").value.trim();
  const answer = await request("/phone/people", { number });
  if (!answer) return;
  being = answer.number;
  $("via").textContent = being;
  render(null);
  await Promise.all([poll(), listPeople()]);
}

async function listPeople() {
  try {
    const [known, config] = await Promise.all(
      [fetch("/phone/people"), fetch("/phone/config")].map(async (asked) => (await asked).json()));
    const staff = config.people || []; // the inbox's demo people who take calls
    const others = [...new Set([...known.being, ...known.called])].filter((n) => !staff.some((p) => p.phone === n));
    $("people").replaceChildren(...staff.map((p) => new Option(`${p.name} (inbox)`, p.phone)),
      ...others.map((number) => new Option(number, number)));
  } catch (error) {
    notice(UNREACHABLE);
  }
}

export function setupCalls() {
  $("keypad").replaceChildren(...KEYS.map((key) => {
    const button = element("button", "key", key);
    button.type = "button";
    button.dataset.key = key;
    button.addEventListener("click", () => act("keys", { key }));
    return button;
  }));
  $("call").addEventListener("click", placeCall);
  $("speak").addEventListener("submit", say);
  $("silence").addEventListener("click", () => act("silence"));
  $("hang-up").addEventListener("click", () => act("hang-up"));
  $("answer").addEventListener("click", () => act("answer"));
  $("decline").addEventListener("click", () => act("decline"));
  $("person-setup").addEventListener("submit", be);
  listPeople();
  setInterval(poll, POLL_MS);
}
