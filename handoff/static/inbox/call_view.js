/* "Phone call": a ticket's call handed to people (GET /api/tickets/{id} -> call), live through the
 * ticket's "call" pushes: the state in words, the phones rung in order, the caller's call SID. */

import { h } from './dom.js';
import { fmtFull, fmtWhen } from './format.js';

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
    h('p', { class: 'meta mono', title: 'The caller\'s call: find it in the Twilio console by this SID' }, 'Call ' + call.call_sid));
}
