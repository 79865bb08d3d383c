/* "Phone call": a ticket's call handed to people (GET /api/tickets/{id} -> call), live through the
 * ticket's "call" pushes: the state in words, the phones rung in order, the caller's call SID, and
 * for the person on the call the hold buttons (POST /api/tickets/{id}/call/hold). */

import { h } from './dom.js';
import { fmtFull, fmtWhen } from './format.js';
import { ticketAction } from './ticket_actions.js';

const LEG_WORDS = {
  ringing: 'ringing', answered: 'picked up', briefing: 'hearing the brief', accepted: 'took the call',
  declined: 'passed (pressed 2)', no_answer: 'no answer', voicemail: 'voicemail', cancelled: 'cancelled',
  failed: 'call failed', left: 'left the call',
};

export function callBlock(call) {
  if (!call) return null;
  const legs = (call.legs || []).map((leg) => h('li', { class: 'call-leg', testid: 'call-leg', data: { state: leg.state } },
    h('strong', null, leg.name || leg.username), ' ', h('span', { class: 'mono' }, leg.phone), ': ',
    LEG_WORDS[leg.state] || leg.state,
    h('time', { datetime: leg.created_at, title: fmtFull(leg.created_at) }, ' \u00b7 ' + fmtWhen(leg.created_at))));
  return h('section', { class: 'card call-card', testid: 'phone-call', data: { state: call.state } },
    h('h2', { class: 'card-title' }, 'Phone call'),
    h('p', { class: 'call-state', testid: 'call-state' }, call.words),
    legs.length ? h('ol', { class: 'call-legs' }, legs) : null,
    holdButton(call.can || {}),
    h('p', { class: 'meta mono', testid: 'call-sid', title: 'The caller\'s call: find it in the Twilio console by this SID' }, 'Call ' + call.call_sid));
}

/** "Put caller on hold" while connected, "Take caller off hold" while held: only for the person on the call. */
function holdButton(can) {
  if (!can.hold && !can.resume) return null;
  const on = Boolean(can.hold);
  return h('div', { class: 'call-controls' },
    h('button', { type: 'button', class: 'button', testid: on ? 'call-hold' : 'call-resume', on: { click: (e) =>
      ticketAction('call/hold', { on }, on ? 'The caller is on hold' : 'The caller is off hold', e.currentTarget) } },
    on ? 'Put caller on hold' : 'Take caller off hold'));
}
