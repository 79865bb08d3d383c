/* Canned replies: a searchable popover over the reply box; the chosen text goes in at the caret with {name} filled in. */

import { clear, h } from './dom.js';
import { loadCanned } from './loading.js';
import { firstName } from './names.js';
import { state } from './store.js';

const canned = { target: null, index: 0, filter: '' };

export async function openCanned(textarea) {
  if (textarea.disabled) return;
  if (state.canned === null) await loadCanned();
  canned.target = textarea;
  canned.index = 0;
  canned.filter = '';
  const pop = clear(document.getElementById('canned-popover'));
  const search = h('input', { class: 'input', type: 'search', placeholder: 'Search canned replies (\u2191\u2193 to pick, Enter to insert)', testid: 'canned-search', 'aria-label': 'Search canned replies' });
  search.addEventListener('input', () => { canned.filter = search.value; canned.index = 0; drawCanned(); });
  search.addEventListener('keydown', cannedKeys);
  pop.append(search, h('ul', { class: 'canned-list', role: 'listbox', id: 'canned-list' }));
  pop.hidden = false;
  drawCanned();
  const rect = textarea.getBoundingClientRect();
  pop.style.left = Math.max(8, rect.left) + 'px';
  pop.style.width = Math.min(520, Math.max(320, rect.width)) + 'px';
  pop.style.bottom = (window.innerHeight - rect.top + 6) + 'px';
  search.focus();
}

function cannedMatches() {
  const q = canned.filter.toLowerCase();
  return (state.canned || []).filter((c) => !q || (c.title + ' ' + c.text).toLowerCase().includes(q));
}

function drawCanned() {
  const list = document.getElementById('canned-list');
  if (!list) return;
  clear(list);
  const items = cannedMatches();
  canned.index = Math.min(canned.index, Math.max(0, items.length - 1));
  const name = firstName(state.item);
  if (!items.length) {
    list.append(h('li', { class: 'muted canned-item' }, state.canned && state.canned.length ? 'No match.' : 'No canned replies.'));
    return;
  }
  items.forEach((c, i) => list.append(h('li', {
    class: 'canned-item' + (i === canned.index ? ' is-active' : ''), role: 'option', testid: 'canned-item', data: { cannedId: c.id },
    'aria-selected': i === canned.index ? 'true' : 'false',
    on: { mousedown: (e) => { e.preventDefault(); insertCanned(c); } },
  }, h('div', { class: 'canned-title' }, c.title), h('div', { class: 'canned-text' }, fillName(c.text, name)))));
  const active = list.querySelector('.is-active');
  if (active) active.scrollIntoView({ block: 'nearest' });
}

function cannedKeys(e) {
  const items = cannedMatches();
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    canned.index = (canned.index + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % Math.max(1, items.length);
    drawCanned();
  } else if (e.key === 'Enter') {
    e.preventDefault();
    if (items[canned.index]) insertCanned(items[canned.index]);
  } else if (e.key === 'Escape') {
    e.preventDefault();
    closeCanned(true);
  }
}

const fillName = (text, name) => String(text || '').replace(/\{name\}/g, name);

function insertCanned(c) {
  const ta = canned.target && canned.target.isConnected ? canned.target : document.querySelector('[data-testid="reply-input"]');
  closeCanned(false);
  if (!ta || ta.disabled) return;
  const text = fillName(c.text, firstName(state.item));
  const start = ta.selectionStart ?? ta.value.length;
  const end = ta.selectionEnd ?? ta.value.length;
  ta.value = ta.value.slice(0, start) + text + ta.value.slice(end);
  ta.dispatchEvent(new Event('input'));
  ta.focus();
  ta.setSelectionRange(start + text.length, start + text.length);
}

/** Close the popover; `refocus` puts the caret back in the reply box. */
export function closeCanned(refocus) {
  const pop = document.getElementById('canned-popover');
  if (pop.hidden) return;
  pop.hidden = true;
  clear(pop);
  if (refocus && canned.target && canned.target.isConnected) canned.target.focus();
}

/** A click anywhere but the popover or its button closes it. */
export function closeCannedOnOutsideClicks() {
  document.addEventListener('mousedown', (e) => {
    const pop = document.getElementById('canned-popover');
    if (!pop.hidden && !pop.contains(e.target) && !(e.target.closest && e.target.closest('[data-testid="canned-button"]'))) closeCanned(false);
  });
}
