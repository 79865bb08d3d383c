/* Keyboard shortcuts (the help overlay lists them): j/k to move, 1-3 for the lists, / to filter, r/n/c, ? and Esc. */

import { closeCanned } from './canned.js';
import { setView } from './loading.js';
import { visibleItems } from './list_view.js';
import { dismissToast } from './notices.js';
import { hrefFor } from './routing.js';
import { state } from './store.js';

function moveSelection(delta) {
  const items = visibleItems();
  if (!items.length) return;
  const type = state.view === 'approvals' ? 'approval' : 'ticket';
  const at = state.selected && state.selected.type === type ? items.findIndex((i) => i.id === state.selected.id) : -1;
  const next = items[at < 0 ? 0 : Math.max(0, Math.min(items.length - 1, at + delta))];
  if (!next) return;
  location.hash = hrefFor(type, next.id);
  requestAnimationFrame(() => {
    const row = document.querySelector('.row.is-selected');
    if (row) row.scrollIntoView({ block: 'nearest' });
  });
}

function focusTestid(id) {
  const el = document.querySelector('[data-testid="' + id + '"]');
  if (el && !el.disabled) {
    el.focus();
    return true;
  }
  return false;
}

/** Show (true), hide (false) or flip (no argument) the shortcuts overlay. */
export function toggleHelp(show) {
  const help = document.getElementById('help');
  help.hidden = !(show ?? help.hidden);
  if (!help.hidden) document.getElementById('help-close').focus();
}

export function listenForShortcuts() {
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.metaKey || e.ctrlKey || e.altKey) return;
    const target = e.target;
    const typing = target && target.closest && target.closest('input, textarea, select, [contenteditable="true"]');
    if (e.key === 'Escape') {
      if (!document.getElementById('help').hidden) toggleHelp(false);
      else if (!document.getElementById('canned-popover').hidden) closeCanned(true);
      else if (typing) target.blur();
      else dismissToast();
      return;
    }
    if (typing) return;
    const keys = {
      j: () => moveSelection(1), k: () => moveSelection(-1),
      '/': () => { const s = document.getElementById('list-search'); s.focus(); s.select(); },
      r: () => focusTestid('reply-input'), n: () => focusTestid('note-input'),
      c: () => { const b = document.querySelector('[data-testid="claim"]'); if (b && !b.disabled) b.click(); },
      1: () => setView('tickets'), 2: () => setView('approvals'), 3: () => setView('closed'),
      '?': () => toggleHelp(true),
    };
    if (keys[e.key]) {
      e.preventDefault();
      keys[e.key]();
    }
  });
}
