/* The conversation: what was said with the bot, the handoff, then the people's messages with their delivery. */

import { api } from './api.js';
import { h, icon } from './dom.js';
import { channelLabel, enc, fmtFull, fmtWhen } from './format.js';
import { reloadItem, takeItem } from './loading.js';
import { userLabel } from './names.js';
import { failed, toast } from './notices.js';

const SPEAKERS = { customer: 'Customer', bot: 'Bot', agent: 'Agent', note: 'Internal note', system: 'System' };

/** Where an agent's reply is (sending, sent, shown, recorded, or failed with a Retry). */
function deliveryStatus(m) {
  switch (m.delivery) {
    case 'pending': return h('span', { class: 'delivery delivery-pending', title: 'Waiting for the channel to take it' }, icon('clock'), 'sending');
    case 'sent': return h('span', { class: 'delivery delivery-sent', title: "Sent: the customer's screen has not shown it yet (it will when they come back)" }, icon('tick'), 'sent');
    case 'delivered': return h('span', { class: 'delivery delivery-delivered', title: "Shown on the customer's screen" }, icon('tick'), 'delivered');
    case 'read': return h('span', { class: 'delivery delivery-delivered delivery-read', title: "Shown on the customer's screen while they were looking at it" }, icon('tick'), 'read');
    case 'recorded': return h('span', { class: 'delivery delivery-recorded', title: 'This channel cannot push: the reply is in the conversation record' }, icon('record'), 'recorded');
    case 'failed': return h('span', { class: 'delivery delivery-failed' }, icon('cross'), 'not delivered: ' + (m.error || 'unknown error'),
      h('button', { type: 'button', class: 'button button-small', testid: 'retry', data: { messageId: m.id }, on: { click: (e) => retryMessage(m, e.currentTarget) } }, 'Retry'));
    default: return null;
  }
}

async function retryMessage(m, button) {
  button.disabled = true;
  try {
    const data = await api('POST', '/api/messages/' + enc(m.id) + '/retry', {});
    toast('Sending again', 'info');
    await takeItem(data && data.messages ? data : null, 'ticket');
  } catch (err) {
    failed(err);
    if (err.status === 409) await reloadItem();
  } finally {
    if (button.isConnected) button.disabled = false;
  }
}

function messageEl(m, source, customer) {
  const kind = m.kind || m.speaker || 'system';
  const who = kind === 'customer' ? customer : kind === 'agent' ? userLabel(m.author) || 'Agent' : kind === 'note' ? (userLabel(m.author) || 'Someone') : SPEAKERS[kind] || kind;
  if (kind === 'system') {
    return h('div', { class: 'msg msg-system', testid: 'message', data: { kind, delivery: m.delivery || '', source, messageId: m.id } },
      h('span', null, m.text), h('time', { datetime: m.at, title: fmtFull(m.at) }, fmtWhen(m.at)));
  }
  return h('div', { class: 'msg msg-' + kind, testid: 'message', data: { kind, delivery: m.delivery || '', source, messageId: m.id } },
    h('div', { class: 'msg-meta' },
      kind === 'note' ? h('span', { class: 'note-tag' }, icon('lock'), 'Internal, not sent') : null,
      h('span', { class: 'msg-who' }, who),
      kind === 'bot' || kind === 'agent' ? h('span', { class: 'msg-role' }, kind) : null,
      m.channel === 'voice' && kind === 'customer'
        ? h('span', { class: 'msg-channel msg-said', testid: 'message-channel', title: 'Said on the phone (speech to text)' }, 'said on the phone')
        : m.channel ? h('span', { class: 'msg-channel', testid: 'message-channel', title: kind === 'customer' ? 'Came by' : 'Sent by' }, channelLabel(m.channel)) : null,
      h('time', { datetime: m.at, title: fmtFull(m.at) }, fmtWhen(m.at))),
    h('div', { class: 'msg-bubble' }, m.text),
    kind === 'agent' ? h('div', { class: 'msg-status' }, deliveryStatus(m)) : null);
}

/**
 * The transcript with the bot (the evidence), then, for a ticket, everything said since the handoff.
 * `messages` is null for an approval (no handoff); `inline` draws it in the page's flow, not as the scrolling pane.
 */
export function conversation(transcript, messages, handedAt, customer, inline = false) {
  const nodes = (transcript || []).map((line) => messageEl({ at: line.at, kind: line.speaker, text: line.text }, 'evidence', customer));
  if (nodes.length) nodes.unshift(h('div', { class: 'divider divider-first' }, h('span', null, 'With the bot')));
  if (messages) {
    nodes.push(h('div', { class: 'divider', testid: 'handoff-divider' }, h('span', null, 'Handed to a person' + (handedAt ? ' \u00b7 ' + fmtWhen(handedAt) : ''))));
    messages.forEach((m) => nodes.push(messageEl(m, 'live', customer)));
    if (!messages.length) nodes.push(h('div', { class: 'muted conv-empty' }, 'Nothing said since the handoff.'));
  }
  if (!nodes.length) nodes.push(h('div', { class: 'muted conv-empty' }, 'No conversation recorded.'));
  return h('div', { class: 'conversation' + (inline ? ' conversation-inline' : ''), id: inline ? null : 'conversation', 'aria-label': 'Conversation', tabindex: '0' }, nodes);
}
