/* The evidence pack, drawn the same for a ticket and an approval: the brief, the key cards, the customer's side cards. */

import { priorityBadge, statusPill } from './badges.js';
import { dueBadge } from './countdowns.js';
import { h } from './dom.js';
import { fmtFull, fmtWhen, humanize, moodClass, shortDate } from './format.js';
import { userLabel } from './names.js';
import { hrefFor } from './routing.js';
import { SEES_APPROVALS } from './session.js';

function section(title, ...body) {
  return h('section', { class: 'card' }, h('h2', { class: 'card-title' }, title), body);
}

/** The top of a case: summary in large type, then what the bot read, in words, as chips. */
export function brief(ev, fallbackSummary) {
  const summary = (ev && ev.summary) || fallbackSummary || 'No summary: read the conversation below.';
  const chips = [];
  if (ev && ev.understood) {
    chips.push(h('span', { class: 'fact', title: 'What the bot understood, and how sure it was' },
      h('span', { class: 'fact-key' }, 'wants'), ev.understood));
  }
  if (ev && ev.mood) {
    chips.push(h('span', { class: 'fact sentiment sentiment-' + moodClass(ev.mood), testid: 'sentiment' },
      h('span', { class: 'fact-key' }, 'mood'), ev.mood));
  }
  (ev && ev.why || []).forEach((why) => chips.push(h('span', { class: 'flag' }, why)));
  ((ev && ev.details) || []).forEach((d) => {
    chips.push(h('span', { class: 'fact fact-entity' }, h('span', { class: 'fact-key' }, d.label), d.value));
  });
  return h('div', { class: 'brief' },
    h('p', { class: 'summary', testid: 'summary' }, summary),
    chips.length ? h('div', { class: 'facts' }, chips) : null);
}

export function pendingCard(pending, approval) {
  if (!pending) return null;
  return h('section', { class: 'keycard keycard-pending', testid: 'pending-action' },
    h('div', { class: 'keycard-label' }, 'Pending action', h('span', { class: 'stage stage-' + (pending.stage || '') }, pending.stage_words || '')),
    h('div', { class: 'keycard-main' },
      pending.amount ? h('span', { class: 'keycard-amount' }, pending.amount) : null,
      h('span', { class: 'keycard-headline' }, pending.headline || humanize(pending.kind))),
    // what the business said when it ran (e.g. why it failed), so nobody has to dig for it
    pending.result ? h('div', { class: 'keycard-foot', testid: 'pending-result' }, 'Result: ', pending.result) : null,
    approval ? h('div', { class: 'keycard-foot' },
      'Approval ', statusPill(approval.status), ' ', (approval.approvals || []).length + ' of ' + (approval.needs || 1),
      approval.status === 'pending' ? [' \u00b7 ', dueBadge(approval.due_at, approval.seconds_left, 'due in ')] : null,
      SEES_APPROVALS ? [' \u00b7 ', h('a', { href: hrefFor('approval', approval.id) }, 'open approval')] : null) : null);
}

export function recommendationCard(text) {
  if (!text) return null;
  return h('section', { class: 'keycard keycard-rec', testid: 'recommendation' },
    h('div', { class: 'keycard-label' }, 'Recommended'),
    h('p', { class: 'keycard-text' }, text));
}

/** "live" or, when the order system could not be reached, the snapshot's time. */
function freshness(account) {
  if (!account) return null;
  return account.live
    ? h('span', { class: 'card-note', testid: 'account-live' }, 'live')
    : h('span', { class: 'card-note warn-text', testid: 'account-as-of', title: 'The order system could not be reached: these are the values taken at handoff' },
      'as of ' + fmtFull(account.as_of));
}

function customerCard(account, fallback, conversationId) {
  const c = (account && account.customer) || fallback;
  if (!c || !c.id) {
    return section('Customer', h('p', { class: 'muted' }, 'Unknown customer: not matched to an account.'),
      h('dl', { class: 'kv' }, h('dt', null, 'Contact'), h('dd', null, conversationId || '')));
  }
  const rows = [['Phone', c.phone], ['Email', c.email], ['Account', c.status], ['Balance', c.balance], ['ID', c.id]].filter(([, v]) => v);
  const subs = c.subscriptions || [];
  return h('section', { class: 'card', testid: 'customer' },
    h('h2', { class: 'card-title' }, 'Customer ', freshness(account)),
    h('div', { class: 'customer-name' }, c.name || conversationId || 'Unknown'),
    h('dl', { class: 'kv' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, String(v))])),
    subs.length ? h('ul', { class: 'plain-list subs' }, subs.map((s) => h('li', null, s))) : null);
}

function ordersCard(account) {
  const orders = (account && account.orders) || [];
  if (!orders.length) return null;
  return h('section', { class: 'card', testid: 'orders' }, h('h2', { class: 'card-title' }, 'Orders ', freshness(account)),
    h('table', { class: 'table' },
      h('thead', null, h('tr', null, ['Order', 'Item', 'Total', 'Placed'].map((t) => h('th', null, t)))),
      h('tbody', null, orders.map((o) => h('tr', null,
        h('td', { class: 'mono' }, o.id),
        h('td', null, o.item, h('div', { class: 'order-status' }, o.status)),
        h('td', { class: 'num' }, o.total, o.refunded && !/^\$?0(\.00)?$/.test(o.refunded) ? h('div', { class: 'refunded' }, o.refunded + ' refunded') : null),
        h('td', { class: 'nowrap', title: o.placed_on }, shortDate(o.placed_on)))))));
}

function historyCard(ev, account) {
  if (!ev && !account) return null;
  const prev = (ev && ev.previous_tickets) || [];
  const count = account ? account.recent_refunds : 0;
  return section('History',
    account ? h('dl', { class: 'kv' }, h('dt', null, 'Refunds in the last ' + account.refund_window_days + ' days'),
      h('dd', { class: count > 0 ? 'warn-text' : '', testid: 'recent-refunds' }, String(count))) : null,
    prev.length ? h('ul', { class: 'plain-list' }, prev.map((t) => h('li', null,
      priorityBadge(t.priority), ' ', t.topic_words, ' \u00b7 ', t.status, ' \u00b7 ', h('span', { class: 'muted' }, fmtWhen(t.created_at)))))
      : h('p', { class: 'muted' }, 'No earlier tickets.'));
}

/** Earlier requests and refunds on the order an approval is about. */
export function sameOrderCard(history) {
  if (!history) return null;
  const requests = history.requests || [];
  const refunds = history.refunds || [];
  return h('section', { class: 'card', testid: 'same-order' }, h('h2', { class: 'card-title' }, 'Earlier on order ' + history.order_id),
    requests.length ? h('ul', { class: 'plain-list' }, requests.map((r) => h('li', null,
      (r.amount || r.headline || 'Request') + ' ', statusPill(r.status),
      r.decided_by ? ' by ' + (r.decided_by === 'timer' ? 'nobody in time' : userLabel(r.decided_by)) : '',
      r.new_amount ? ' to ' + r.new_amount : '', r.reason ? ': ' + r.reason : '',
      ' \u00b7 ', h('span', { class: 'muted' }, fmtWhen(r.requested_at)))))
      : h('p', { class: 'muted' }, 'No earlier requests on this order.'),
    refunds.length ? h('ul', { class: 'plain-list' }, refunds.map((r) => h('li', null,
      'Refunded ' + r.amount, ' \u00b7 ', h('span', { class: 'muted' }, fmtWhen(r.at)))))
      : h('p', { class: 'muted' }, 'No refunds on this order yet.'));
}

function reasoningCard(ev) {
  if (!ev) return null;
  const why = ev.why || [];
  const alts = ev.alternatives || [];
  const details = ev.details || [];
  return section('Why it came to a person',
    why.length ? h('ul', { class: 'plain-list reasons' }, why.map((w) => h('li', null, w))) : null,
    h('dl', { class: 'kv' },
      h('dt', null, 'Wants'), h('dd', null, ev.understood || '\u2014'),
      h('dt', null, 'Mood'), h('dd', null, ev.mood || '\u2014'),
      h('dt', null, 'Details'), h('dd', null, details.length ? details.map((d) => d.label + ' ' + d.value).join(', ') : 'none')),
    alts.length ? [h('h3', { class: 'card-sub' }, 'Options the bot considered'), h('ul', { class: 'plain-list alts' }, alts.map((a) => h('li', null, a)))] : null);
}

/** The side pane's cards: who the customer is, their orders, their history, why the bot handed over. */
export function evidenceSide(ev, account, fallbackCustomer, conversationId) {
  return [customerCard(account, fallbackCustomer, conversationId), ordersCard(account), historyCard(ev, account), reasoningCard(ev)];
}
