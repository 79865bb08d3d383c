// Small helpers the demo phone's modules share.
export const $ = (id) => document.getElementById(id);

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function notice(text) {
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

export const UNREACHABLE = "The fake Twilio does not answer: is it still running?";

// POST a JSON body (only JSON acts on the fake); returns [ok, answer].
export async function postJson(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  return [response.ok, answer, response.status];
}
