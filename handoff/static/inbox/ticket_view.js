/* An open ticket: its head (status, SLA, queue, channel), the brief and key cards, the conversation, the composer; actions and evidence at the side. */

import { priorityBadge } from './badges.js';
import { callBlock } from './call_view.js';
import { composer } from './composer.js';
import { conversation } from './conversation.js';
import { slaBadge } from './countdowns.js';
import { appendAll, h } from './dom.js';
import { brief, evidenceSide, pendingCard, recommendationCard } from './evidence.js';
import { channelLabel } from './format.js';
import { loadUsers } from './loading.js';
import { customerName, userLabel } from './names.js';
import { actionsCard, ticketAction } from './ticket_actions.js';

export function renderTicket(t, main, side) {
  const ev = t.evidence || null;
  const can = t.can || {};
  const pending = t.pending_action || (ev && ev.pending) || null;
  const statusText = t.status === 'closed' ? 'closed' : t.assignee ? t.status + ' \u00b7 ' + userLabel(t.assignee) : t.status + ' \u00b7 unassigned';

  const head = h('header', { class: 'case-head' },
    h('div', { class: 'case-line' },
      priorityBadge(t.priority),
      h('h1', { class: 'case-title' }, customerName(t)),
      h('span', { class: 'case-topic' }, t.topic_words || ''),
      h('span', { class: 'spacer' }),
      can.claim ? h('button', { type: 'button', class: 'button button-primary', testid: 'claim', title: 'Claim (c)', on: { click: (e) => ticketAction('claim', {}, 'Claimed: it is yours', e.currentTarget) } }, 'Claim') : null),
    h('div', { class: 'case-line case-meta' },
      h('span', { class: 'status status-' + t.status, testid: 'ticket-status', data: { status: t.status, assignee: t.assignee || '' } }, statusText),
      t.sla ? slaBadge(t.sla) : null,
      t.status !== 'closed' ? h('span', { class: 'meta', data: { since: t._since, prefix: 'waiting ' } }, '') : null,
      h('span', { class: 'meta' }, t.queue + ' queue'),
      t.channel ? h('span', { class: 'meta' }, channelLabel(t.channel)) : null,
      h('span', { class: 'meta mono', title: 'Conversation ' + (t.conversation_id || '') }, '#' + (t.ref || t.id))));

  const outcome = t.status === 'closed' || t.outcome || t.resolution
    ? h('div', { class: 'outcome', testid: 'ticket-outcome' },
      t.outcome ? ['Handed back: ', h('strong', null, t.outcome)] : 'Closed',
      t.resolution ? [' \u00b7 ', t.resolution] : null)
    : null;

  const keycards = [pendingCard(pending, t.approval), recommendationCard(ev && ev.recommendation)].filter(Boolean);
  appendAll(main, [
    head,
    outcome,
    callBlock(t.call),
    h('div', { class: 'case-top' },
      brief(ev, t.summary),
      keycards.length ? h('div', { class: 'keycards keycards-' + keycards.length }, keycards) : null),
    conversation(ev && ev.transcript, t.messages || [], t.created_at, customerName(t)),
    composer(t)]);

  appendAll(side, [actionsCard(t), evidenceSide(ev, t.account, t.customer, t.conversation_id)]);
  if (can.assign) loadUsers();
}
