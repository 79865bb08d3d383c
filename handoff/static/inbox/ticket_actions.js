/* What can be done to a ticket: claim, assign, transfer, request approval, hand back to the bot, close.
 *
 * The side card shows only the forms the server says this person may use (ticket.can). Every change
 * sends the version the page read, so two people acting at once cannot overwrite each other.
 */

import { sendChange } from './changes.js';
import { h } from './dom.js';
import { field, invalid } from './fields.js';
import { scheduleRefresh, takeItem } from './loading.js';
import { userLabel } from './names.js';
import { toast } from './notices.js';
import { QUEUES, redrawItem, state } from './store.js';

/** The hand-back outcomes: value sent, label, and what it does (shown under the choice). */
const OUTCOMES = [
  ['resolved', 'Resolved', 'Sorted out: the bot asks if there is anything else.'],
  ['continue', 'Continue with the bot', 'The bot picks the conversation up again, including a waiting request.'],
  ['approved', 'Approve the waiting action', 'You sign it off: it runs once, within your limit.'],
  ['rejected', 'Reject the waiting action', 'Declined: the customer hears your note as the reason.'],
];

/** Every versioned change (``sendChange``); a ticket moved out of this person's queues leaves their screen. */
export function ticketAction(path, extra, done, button, clears = []) {
  return sendChange('ticket', path, extra, button, clears, async (data) => {
    toast(done, 'success');
    if (data && data.gone) {
      state.selected = null;
      state.item = null;
      redrawItem();
    } else {
      await takeItem(data, 'ticket');
    }
    scheduleRefresh({ tickets: true });
  });
}

/** The side pane's Actions card, or a line saying why there is nothing to do. */
export function actionsCard(t) {
  const can = t.can || {};
  const forms = [];
  if (can.assign) forms.push(assignForm(t));
  if (can.transfer) forms.push(transferForm(t));
  if (can.request_approval) forms.push(requestApprovalForm());
  if (can.handback) forms.push(handbackForm(t, can));
  if (can.close) forms.push(closeForm());
  if (!forms.length) {
    if (t.status === 'closed') return null;
    return h('section', { class: 'card actions' }, h('h2', { class: 'card-title' }, 'Actions'),
      h('p', { class: 'muted' }, t.can && t.can.claim ? 'Claim the ticket to reply, hand back or close.' : 'Nothing you can change here right now.'));
  }
  return h('section', { class: 'card actions', testid: 'actions' }, h('h2', { class: 'card-title' }, 'Actions'), forms);
}

function actionForm(label, fields, button) {
  return h('div', { class: 'action' }, h('div', { class: 'action-label' }, label), h('div', { class: 'action-fields' }, fields, button));
}

function assignForm(t) {
  const people = (state.users || []).filter((u) => u.role !== 'admin');
  const select = field('select', 'assign-user', { class: 'input', testid: 'assign-user', 'aria-label': 'Assign to' },
    h('option', { value: '' }, state.users ? 'Choose a person\u2026' : 'Loading people\u2026'),
    people.map((u) => h('option', { value: u.username }, u.name + ' (' + u.role + ')' + (u.username === t.assignee ? ', has it' : ''))));
  return actionForm('Assign', [select],
    h('button', { type: 'button', class: 'button', testid: 'assign-submit', on: { click: (e) => {
      if (!select.value) return invalid(select, 'Choose who gets this ticket.');
      ticketAction('assign', { username: select.value }, 'Assigned to ' + userLabel(select.value), e.currentTarget, ['assign-user']);
    } } }, 'Assign'));
}

function transferForm(t) {
  const queue = field('select', 'transfer-queue', { class: 'input', testid: 'transfer-queue', 'aria-label': 'Transfer to queue' },
    QUEUES.filter((q) => q !== t.queue).map((q) => h('option', { value: q }, q + ' queue')));
  const note = field('input', 'transfer-note', { class: 'input', type: 'text', testid: 'transfer-note', placeholder: 'Why (the next person reads this)' });
  return actionForm('Transfer', [queue, note],
    h('button', { type: 'button', class: 'button', testid: 'transfer-submit', on: { click: (e) => ticketAction('transfer', { queue: queue.value, note: note.value.trim() }, 'Moved to the ' + queue.value + ' queue', e.currentTarget, ['transfer-note', 'transfer-queue']) } }, 'Transfer'));
}

function requestApprovalForm() {
  const note = field('input', 'approval-note', { class: 'input', type: 'text', testid: 'request-approval-note', placeholder: 'Why it should be approved' });
  return actionForm('Request approval', [note],
    h('button', { type: 'button', class: 'button', testid: 'request-approval-submit', on: { click: (e) => ticketAction('request-approval', { note: note.value.trim() }, 'Approval requested', e.currentTarget, ['approval-note']) } }, 'Request'));
}

function handbackForm(t, can) {
  // "approved" is offered only to someone who may sign the waiting action off; the server says why not
  const outcomes = OUTCOMES.filter(([value]) => value !== 'approved' || can.handback_approved);
  const outcome = field('select', 'handback-outcome', { class: 'input', testid: 'handback-outcome', 'aria-label': 'Outcome' },
    outcomes.map(([value, label]) => h('option', { value }, label)));
  const note = field('textarea', 'handback-note', { class: 'input', rows: 2, testid: 'handback-note' });
  const hint = h('div', { class: 'action-hint' });
  const cannotApprove = t.cannot_approve_because
    ? h('div', { class: 'action-hint', testid: 'cannot-approve' }, 'You can\u2019t approve the waiting action: ' + t.cannot_approve_because + '.')
    : null;
  const syncHint = () => {
    const found = OUTCOMES.find(([value]) => value === outcome.value);
    hint.textContent = found ? found[2] : '';
    note.placeholder = outcome.value === 'rejected' ? 'Reason the customer hears (required)' : 'Note (optional)';
  };
  outcome.addEventListener('change', syncHint);
  syncHint();
  return actionForm('Hand back to the bot', [outcome, hint, cannotApprove, note],
    h('button', { type: 'button', class: 'button button-primary', testid: 'handback-submit', on: { click: (e) => {
      const text = note.value.trim();
      if (outcome.value === 'rejected' && !text) return invalid(note, 'Give the reason for rejecting: the customer hears it.');
      ticketAction('handback', { outcome: outcome.value, note: text }, 'Handed back to the bot (' + outcome.value + ')', e.currentTarget, ['handback-note', 'handback-outcome']);
    } } }, 'Hand back'));
}

function closeForm() {
  const resolution = field('input', 'close-resolution', { class: 'input', type: 'text', testid: 'close-resolution', placeholder: 'Resolution (required), e.g. customer left' });
  resolution.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); closeTicket(resolution, null); } });
  return actionForm('Close without the bot', [resolution],
    h('button', { type: 'button', class: 'button button-danger', testid: 'close-submit', on: { click: (e) => closeTicket(resolution, e.currentTarget) } }, 'Close'));
}

function closeTicket(input, button) {
  const text = input.value.trim();
  if (!text) return invalid(input, 'Write a resolution before closing.');
  return ticketAction('close', { resolution: text }, 'Closed', button, ['close-resolution']);
}
