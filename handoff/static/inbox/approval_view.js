/* An open approval: the card (amount, why, who asked), the decision panel (approve, reject with a reason, modify the amount) or the decision taken, then the evidence. */

import { statusPill } from './badges.js';
import { sendChange } from './changes.js';
import { ago } from './clock.js';
import { conversation } from './conversation.js';
import { dueBadge } from './countdowns.js';
import { appendAll, h } from './dom.js';
import { brief, evidenceSide, recommendationCard, sameOrderCard } from './evidence.js';
import { field, invalid } from './fields.js';
import { capitalize, fmtWhen, humanize } from './format.js';
import { scheduleRefresh, takeItem } from './loading.js';
import { customerName, userLabel } from './names.js';
import { toast } from './notices.js';
import { itemKey, redrawItem, uiFor } from './store.js';

export function renderApproval(a, main, side) {
  const can = a.can || {};
  const approvals = a.approvals || [];
  const needs = a.needs || 1;
  const isPending = a.status === 'pending';
  const meta = [
    ['Customer', customerName(a)],
    ['Requested', a.requested_at ? fmtWhen(a.requested_at) + ' (' + ago(a.requested_at) + ')' : '\u2014'],
    ['Raised by', a.raised_by ? userLabel(a.raised_by) : 'the bot'],
    ['Approvals', approvals.length + ' of ' + needs + (approvals.length ? ': ' + approvals.map(userLabel).join(', ') : '')],
    ['Queue', a.queue],
  ];

  const head = h('header', { class: 'case-head' },
    h('div', { class: 'case-line' },
      h('span', { class: 'status status-' + a.status, testid: 'approval-status', data: { status: a.status } }, a.status),
      h('h1', { class: 'case-title' }, 'Approval: ' + humanize(a.kind)),
      h('span', { class: 'case-topic' }, customerName(a)),
      h('span', { class: 'spacer' }),
      isPending ? dueBadge(a.due_at, a.seconds_left, 'due in ') : null),
    h('div', { class: 'case-line case-meta' },
      h('span', { class: 'meta' }, a.queue + ' queue'),
      h('span', { class: 'meta' }, approvals.length + ' of ' + needs + ' approvals'),
      h('span', { class: 'meta mono' }, '#' + (a.ref || a.id))));

  const card = h('section', { class: 'approval-card', testid: 'approval-card' },
    h('div', { class: 'approval-top' },
      h('div', { class: 'approval-amount', testid: 'approval-amount' }, a.amount || humanize(a.kind)),
      h('div', { class: 'approval-headline' }, a.headline || '')),
    a.summary ? h('p', { class: 'approval-summary', testid: 'approval-summary' }, a.summary) : null,
    (a.why || []).length ? h('ul', { class: 'plain-list reasons', testid: 'approval-why' }, a.why.map((w) => h('li', null, w))) : null,
    h('dl', { class: 'kv kv-wide' }, meta.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])));

  appendAll(main, [head, h('div', { class: 'case-top' },
    card,
    h('div', { class: 'keycards keycards-1' }, recommendationCard(a.recommendation)),
    isPending ? decisionPanel(a, can) : decidedPanel(a))]);

  if (a.evidence) {
    appendAll(main, [h('div', { class: 'case-top evidence-top' }, h('h2', { class: 'section-title' }, 'Evidence from the conversation'), brief(a.evidence, null)),
      conversation(a.evidence.transcript, null, null, customerName(a), true)]);
  } else {
    main.append(h('p', { class: 'muted pad' }, 'The bot raised this without a handoff, so there is no evidence pack.'));
  }
  appendAll(side, [sameOrderCard(a.same_order), evidenceSide(a.evidence, a.account, a.customer, a.conversation_id)]);
}

function decisionPanel(a, can) {
  const state0 = uiFor(itemKey());
  const nothing = !can.approve && !can.reject && !can.modify;
  const rejectReason = field('textarea', 'reject-reason', { class: 'input', rows: 2, testid: 'reject-reason', placeholder: 'Reason (required): the customer is told it' });
  const amount = field('input', 'modify-amount', { class: 'input amount-input', type: 'text', inputmode: 'decimal', testid: 'modify-amount', placeholder: a.amount ? a.amount.replace(/^\$/, '') : '0.00', disabled: !can.modify, 'aria-label': 'New amount' });
  const modifyReason = field('input', 'modify-reason', { class: 'input', type: 'text', testid: 'modify-reason', placeholder: 'Why this amount (the customer confirms it)', disabled: !can.modify });
  const approveLabel = 'Approve' + (a.amount ? ' ' + a.amount : '') + ((a.needs || 1) > 1 ? ' (' + ((a.approvals || []).length + 1) + ' of ' + a.needs + ')' : '');
  return h('section', { class: 'decide', testid: 'decide' },
    a.cannot_because ? h('div', { class: 'cannot', testid: 'cannot-because' }, capitalize(a.cannot_because)) : null,
    nothing && !a.cannot_because ? h('div', { class: 'cannot' }, 'You can read this approval but not decide it.') : null,
    h('div', { class: 'decide-row' },
      h('button', { type: 'button', class: 'button button-approve button-big', testid: 'approve', disabled: !can.approve,
        on: { click: (e) => approvalAction('approve', {}, 'Approved', e.currentTarget) } }, approveLabel),
      h('button', { type: 'button', class: 'button button-danger-outline button-big' + (state0.rejectOpen ? ' is-active' : ''), testid: 'reject', disabled: !can.reject,
        'aria-expanded': state0.rejectOpen ? 'true' : 'false',
        on: { click: () => {
          state0.rejectOpen = !state0.rejectOpen;
          redrawItem();
          if (state0.rejectOpen) { const el = document.querySelector('[data-testid="reject-reason"]'); if (el) el.focus(); }
        } } }, 'Reject\u2026')),
    state0.rejectOpen && can.reject ? h('div', { class: 'decide-form reject-form' },
      rejectReason,
      h('button', { type: 'button', class: 'button button-danger', testid: 'reject-submit', on: { click: (e) => {
        const reason = rejectReason.value.trim();
        if (!reason) return invalid(rejectReason, 'Give a reason for rejecting: the customer is told it.');
        approvalAction('reject', { reason }, 'Rejected', e.currentTarget, ['reject-reason']);
      } } }, 'Reject')) : null,
    can.modify ? h('div', { class: 'decide-form modify-form' },
      h('span', { class: 'decide-label' }, 'Or approve a different amount'),
      h('span', { class: 'money-field' }, h('span', { class: 'money-sign' }, '$'), amount),
      modifyReason,
      h('button', { type: 'button', class: 'button', testid: 'modify-submit', on: { click: (e) => {
        // sent as typed: the server's one money parser says what is wrong with it ("0,0,1" is not $1.00)
        const value = amount.value.trim();
        if (!value) return invalid(amount, 'Enter the new amount, e.g. 450.00.');
        approvalAction('modify', { amount: value, reason: modifyReason.value.trim() }, 'Amount changed', e.currentTarget, ['modify-amount', 'modify-reason']);
      } } }, 'Modify')) : null);
}

function decidedPanel(a) {
  return h('section', { class: 'decided decided-' + a.status, testid: 'approval-result' },
    h('div', { class: 'decided-title' }, statusPill(a.status),
      a.decided_by ? ' by ' + userLabel(a.decided_by) : '', a.decided_at ? ' \u00b7 ' + fmtWhen(a.decided_at) : ''),
    a.decision_reason ? h('p', null, h('span', { class: 'muted' }, 'Reason: '), a.decision_reason) : null,
    a.result ? h('p', null, h('span', { class: 'muted' }, 'Result: '), typeof a.result === 'string' ? a.result : JSON.stringify(a.result)) : null);
}

/** Approve, reject or modify (``sendChange``). */
function approvalAction(path, extra, done, button, clears = []) {
  return sendChange('approval', path, extra, button, clears, async (data) => {
    uiFor(itemKey()).rejectOpen = false;
    toast(done, 'success');
    await takeItem(data && data.status ? data : null, 'approval');
    scheduleRefresh({ approvals: true, tickets: true });
  });
}
