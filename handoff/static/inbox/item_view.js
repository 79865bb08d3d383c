/* The case pane and the side pane: the open ticket or approval, redrawn in place without losing what the person was doing. */

import { renderApproval } from './approval_view.js';
import { slaLeft, updateTimers } from './countdowns.js';
import { clear, h } from './dom.js';
import { USER } from './session.js';
import { itemKey, state } from './store.js';
import { renderTicket } from './ticket_view.js';

export function renderItem() {
  const main = document.getElementById('main');
  const side = document.getElementById('side');
  const key = itemKey();
  const sameItem = key && key === state.renderedKey;
  // Keep what the person is doing: focus, caret, scroll positions.
  const active = document.activeElement;
  const keep = active && active.dataset ? active.dataset.keep : null;
  const caret = keep && 'selectionStart' in active ? [active.selectionStart, active.selectionEnd] : null;
  const conv = document.getElementById('conversation');
  const convAtBottom = !conv || conv.scrollHeight - conv.scrollTop - conv.clientHeight < 48;
  const convTop = conv ? conv.scrollTop : 0;
  const sideTop = side.scrollTop;
  const mainTop = main.scrollTop;
  const mainScrolls = main.scrollHeight > main.clientHeight + 4;
  const mainAtBottom = mainScrolls && main.scrollHeight - mainTop - main.clientHeight < 48;

  clear(main);
  clear(side);
  document.body.classList.toggle('has-item', Boolean(state.item));
  if (!state.selected) {
    main.append(emptyState());
    state.renderedKey = null;
    return;
  }
  if (state.itemError) {
    main.append(h('div', { class: 'empty' }, h('h2', null, 'Cannot open this ' + state.selected.type), h('p', null, state.itemError)));
    state.renderedKey = null;
    return;
  }
  if (!state.item) {
    main.append(h('div', { class: 'empty' }, h('p', { class: 'muted' }, 'Loading\u2026')));
    return;
  }
  if (state.selected.type === 'ticket') renderTicket(state.item, main, side);
  else renderApproval(state.item, main, side);
  updateTimers(main);
  updateTimers(side);
  state.renderedKey = key;

  const newConv = document.getElementById('conversation');
  if (newConv) newConv.scrollTop = sameItem && !convAtBottom ? convTop : newConv.scrollHeight;
  if (sameItem) {
    side.scrollTop = sideTop;
    // On short screens the whole case pane scrolls: stay with the newest message if we were there.
    main.scrollTop = mainAtBottom ? main.scrollHeight : mainTop;
  } else {
    side.scrollTop = 0;
    main.scrollTop = 0;
  }
  if (keep && sameItem) {
    const again = main.querySelector('[data-keep="' + keep + '"]') || side.querySelector('[data-keep="' + keep + '"]');
    if (again && !again.disabled) {
      again.focus({ preventScroll: true });
      if (caret && 'setSelectionRange' in again) {
        try { again.setSelectionRange(caret[0], caret[1]); } catch (err) { /* not a text field */ }
      }
    }
  }
}

/** Nothing open: a greeting and where the work stands. */
function emptyState() {
  const list = state.lists.active || [];
  const overdue = list.filter((t) => slaLeft(t.sla) < 0).length;
  const unassigned = list.filter((t) => !t.assignee).length;
  return h('div', { class: 'empty' },
    h('h2', null, 'Hello, ' + (USER.name || USER.username || 'there')),
    h('p', null, list.length + ' open ticket' + (list.length === 1 ? '' : 's') + ', ' + unassigned + ' unassigned, ' + overdue + ' past their SLA.'),
    h('p', { class: 'muted' }, 'Pick one from the list, or press ', h('kbd', null, 'j'), ' to open the first.'));
}
