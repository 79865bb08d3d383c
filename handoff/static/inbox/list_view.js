/* The list pane: the Inbox / Approvals / Closed tabs, the queue chips and filter, and one row per ticket or approval. */

import { priorityBadge, statusPill } from './badges.js';
import { olderButton, searching, showClosedSearch } from './closed_search.js';
import { dueBadge, slaBadge, slaLeft, updateTimers } from './countdowns.js';
import { appendAll, clear, h } from './dom.js';
import { fmtDur, fmtFull, fmtWhen, humanize, parseTime } from './format.js';
import { loadList, setView } from './loading.js';
import { customerName, userLabel } from './names.js';
import { hrefFor } from './routing.js';
import { SEES_APPROVALS, USER } from './session.js';
import { QUEUES, isSelected, listKey, state } from './store.js';

const PRIORITY_RANK = { urgent: 0, high: 1, normal: 2 };

function sortTickets(items) {
  return items.slice().sort((a, b) => {
    const pa = PRIORITY_RANK[a.priority] ?? 3;
    const pb = PRIORITY_RANK[b.priority] ?? 3;
    if (pa !== pb) return pa - pb;
    return (b.waiting_seconds || 0) - (a.waiting_seconds || 0);
  });
}

function matchesSearch(item) {
  const q = state.search.trim().toLowerCase();
  if (!q) return true;
  const hay = [customerName(item), item.conversation_id, item.ref, item.topic_words, item.summary, item.headline, item.assignee,
    item.first_words, (item.why || []).join(' '), item.last_customer_message && item.last_customer_message.text].filter(Boolean).join(' ').toLowerCase();
  return q.split(/\s+/).every((word) => hay.includes(word));
}

/** The items the list shows now, in order. */
export function visibleItems() {
  const items = state.lists[listKey()] || [];
  if (state.view === 'approvals') {
    return items.filter(matchesSearch).slice().sort((a, b) => (parseTime(a.due_at) || 0) - (parseTime(b.due_at) || 0));
  }
  const mineOnly = state.mine && state.view === 'tickets';
  const shown = items.filter((t) => (state.queue === 'all' || t.queue === state.queue)
    && (!mineOnly || t.assignee === USER.username) && matchesSearch(t));
  return state.view === 'closed' ? shown : sortTickets(shown); // closed: newest first, page after page, as read
}

export function renderList() {
  renderTabs();
  renderChips();
  showClosedSearch(state.view === 'closed');
  const box = document.getElementById('list');
  const key = listKey();
  const items = state.lists[key];
  const open = state.lists.active;
  document.title = (open && open.length ? '(' + open.length + ') ' : '') + 'Inbox \u00b7 Acme';
  clear(box);
  if (items === null) {
    box.append(state.listErrors[key]
      ? h('div', { class: 'list-empty is-error' }, 'Could not load: ' + state.listErrors[key] + ' ',
        h('button', { type: 'button', class: 'link-button', on: { click: () => loadList(key) } }, 'Try again'))
      : h('div', { class: 'list-empty' }, 'Loading\u2026'));
    return;
  }
  const shown = visibleItems();
  if (!shown.length) {
    const empty = items.length ? 'Nothing matches this filter.'
      : { active: 'No open tickets. Everything is handled.',
        closed: searching() ? 'No closed ticket matches this search.' : 'No closed tickets yet.',
        pending: 'No approvals waiting.', decided: 'No decided approvals yet.' }[key];
    box.append(h('div', { class: 'list-empty' }, empty));
    if (key === 'closed') appendAll(box, [olderButton()]);
    return;
  }
  const rows = shown.map((item) => (state.view === 'approvals' ? approvalRow(item) : ticketRow(item)));
  box.append(h('div', { class: 'rows', role: 'list' }, rows));
  if (key === 'closed') appendAll(box, [olderButton()]);
  updateTimers(box);
}

function renderTabs() {
  const tabs = [['tickets', 'Inbox', state.lists.active], SEES_APPROVALS ? ['approvals', 'Approvals', state.lists.pending] : null,
    ['closed', 'Closed', null]].filter(Boolean);
  const box = clear(document.getElementById('tabs'));
  tabs.forEach(([view, label, list], index) => {
    const overdue = view === 'tickets' && list ? list.filter((t) => slaLeft(t.sla) < 0).length : 0;
    box.append(h('button', {
      type: 'button', role: 'tab', class: 'tab' + (state.view === view ? ' is-active' : ''), testid: 'tab-' + view,
      'aria-selected': state.view === view ? 'true' : 'false', title: label + ' (' + (index + 1) + ')',
      on: { click: () => setView(view) },
    }, label, list ? h('span', { class: 'tab-count' + (overdue ? ' is-hot' : '') }, String(list.length)) : null));
  });
}

function chip(label, active, onClick, extra) {
  return h('button', { type: 'button', class: 'chip' + (active ? ' is-active' : ''), 'aria-pressed': active ? 'true' : 'false', on: { click: onClick }, ...extra }, label);
}

function renderChips() {
  const box = clear(document.getElementById('list-chips'));
  if (state.view === 'approvals') {
    box.append(
      chip('Pending', state.approvalState === 'pending', () => { state.approvalState = 'pending'; setView('approvals'); }, { testid: 'approvals-pending' }),
      chip('Decided', state.approvalState === 'decided', () => { state.approvalState = 'decided'; setView('approvals'); }, { testid: 'approvals-decided' }));
    return;
  }
  const items = state.lists[listKey()] || [];
  const present = QUEUES.filter((q) => items.some((t) => t.queue === q));
  if (present.length > 1 || state.queue !== 'all') {
    box.append(chip('All ' + items.length, state.queue === 'all', () => { state.queue = 'all'; renderList(); }, { testid: 'queue-chip', data: { queue: 'all' } }));
    present.forEach((q) => {
      const n = items.filter((t) => t.queue === q).length;
      box.append(chip(q[0].toUpperCase() + q.slice(1) + ' ' + n, state.queue === q, () => { state.queue = q; renderList(); }, { testid: 'queue-chip', data: { queue: q } }));
    });
  } else if (present.length === 1) {
    box.append(h('span', { class: 'chip-note' }, present[0] + ' queue'));
  }
  if (state.view === 'tickets') {
    box.append(chip('Mine', state.mine, () => { state.mine = !state.mine; renderList(); }, { testid: 'mine-chip', class: 'chip chip-mine' + (state.mine ? ' is-active' : '') }));
  }
}

function ticketRow(t) {
  const selected = isSelected('ticket', t.id);
  const who = t.status === 'closed' ? 'closed' : t.assignee ? userLabel(t.assignee) : 'unassigned';
  return h('a', {
    class: 'row row-' + (t.priority || 'normal') + (selected ? ' is-selected' : ''), href: hrefFor('ticket', t.id),
    role: 'listitem', testid: 'ticket-row', data: { ticketId: t.id, priority: t.priority, queue: t.queue, status: t.status },
    'aria-current': selected ? 'true' : null,
  },
  h('div', { class: 'row-line' },
    priorityBadge(t.priority),
    h('span', { class: 'row-name' }, customerName(t)),
    t.status !== 'closed' ? h('span', { class: 'row-wait', title: 'Waiting since ' + fmtFull(new Date(t._since).toISOString()), data: { since: t._since } }, fmtDur(t.waiting_seconds || 0))
      : h('span', { class: 'row-wait' }, fmtWhen(t.created_at))),
  h('div', { class: 'row-line row-sub' },
    h('span', { class: 'row-topic', testid: 'row-why' }, (t.why || []).join(', ') || t.topic_words || 'no topic'),
    h('span', { class: 'row-who' + (t.assignee ? '' : ' is-unassigned') }, who),
    t.queue !== 'agent' ? h('span', { class: 'queue-tag' }, t.queue) : null),
  t.first_words ? h('div', { class: 'row-snippet', testid: 'row-first-words', title: 'What they first wrote' }, '\u201c' + t.first_words + '\u201d') : null,
  t.sla || t.unanswered ? h('div', { class: 'row-line row-foot' },
    t.sla ? slaBadge(t.sla) : h('span'),
    t.unanswered ? h('span', { class: 'unread', title: t.unanswered + ' customer message(s) since the last reply' }, String(t.unanswered)) : null) : null);
}

function approvalRow(a) {
  const selected = isSelected('approval', a.id);
  const decided = a.status !== 'pending';
  return h('a', {
    class: 'row approval-row' + (selected ? ' is-selected' : ''), href: hrefFor('approval', a.id), role: 'listitem',
    testid: 'approval-row', data: { approvalId: a.id, status: a.status }, 'aria-current': selected ? 'true' : null,
  },
  h('div', { class: 'row-line' },
    h('span', { class: 'row-amount' }, a.amount || humanize(a.kind)),
    h('span', { class: 'row-name' }, customerName(a)),
    decided ? statusPill(a.status) : dueBadge(a.due_at, a.seconds_left, 'due in ')),
  h('div', { class: 'row-snippet row-headline' }, a.headline || ''),
  h('div', { class: 'row-line row-sub' },
    h('span', null, humanize(a.kind)),
    h('span', { class: 'queue-tag' }, a.queue),
    h('span', { class: 'row-who' }, (a.approvals || []).length + ' of ' + (a.needs || 1) + ' approvals')));
}
