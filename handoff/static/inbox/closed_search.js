/* The Closed tab's search and paging: customer, ref or order number, words and closing days are asked
 * of the server (GET /api/closed-tickets, handoff/API.md), and "Older" reads the page after the last one.
 *
 * The form is built once and only shown on the Closed tab, so a list redraw never loses what is typed.
 */

import { h } from './dom.js';
import { loadList, loadOlder } from './loading.js';
import { state } from './store.js';

const FIELDS = [
  ['customer', 'Customer', 'name, id or phone'],
  ['ref', 'Ref or order', '4F0C1A2B or #1003'],
  ['text', 'Words', 'e.g. charged twice'],
];

/** Build the search form (once, at start). */
export function mountClosedSearch() {
  const form = document.getElementById('closed-search');
  FIELDS.forEach(([name, label, hint]) => form.append(h('label', { class: 'closed-field' }, label,
    h('input', { class: 'input', type: 'search', name, placeholder: hint, autocomplete: 'off', testid: 'closed-' + name }))));
  form.append(h('div', { class: 'closed-dates' },
    h('label', { class: 'closed-field' }, 'Closed from', h('input', { class: 'input', type: 'date', name: 'closed_from', testid: 'closed-from' })),
    h('label', { class: 'closed-field' }, 'to', h('input', { class: 'input', type: 'date', name: 'closed_to', testid: 'closed-to' }))));
  form.append(h('div', { class: 'closed-buttons' },
    h('button', { type: 'submit', class: 'button', testid: 'closed-search-button' }, 'Search'),
    h('button', { type: 'reset', class: 'button button-quiet', testid: 'closed-clear' }, 'Clear')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    state.closedQuery = Object.fromEntries([...new FormData(form)].filter(([, value]) => String(value).trim()));
    loadList('closed');
  });
  form.addEventListener('reset', () => {
    state.closedQuery = {};
    loadList('closed');
  });
}

export function showClosedSearch(shown) {
  document.getElementById('closed-search').hidden = !shown;
}

/** Whether the Closed list shows a search's results rather than the newest closed tickets. */
export const searching = () => Object.keys(state.closedQuery).length > 0;

/** The "Older" button under the Closed list, while there is a page after the last one read. */
export function olderButton() {
  if (!state.closedNext) return null;
  return h('button', { type: 'button', class: 'button button-quiet older', testid: 'closed-older',
    disabled: state.loadingOlder, on: { click: loadOlder } }, state.loadingOlder ? 'Loading\u2026' : 'Older');
}
