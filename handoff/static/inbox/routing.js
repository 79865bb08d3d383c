/* The address bar names the open item (#/tickets/<id>, #/approvals/<id>), so links, Back and reloads work. */

import { enc } from './format.js';
import { openItem, setView } from './loading.js';
import { redrawItem, redrawList, state } from './store.js';

export const hrefFor = (type, id) => '#/' + (type === 'ticket' ? 'tickets' : 'approvals') + '/' + enc(id);

function parseHash() {
  const m = /^#\/(tickets|approvals)\/(.+)$/.exec(location.hash);
  if (!m) return null;
  let id = m[2];
  try { id = decodeURIComponent(id); } catch (err) { /* keep as typed */ }
  return { type: m[1] === 'tickets' ? 'ticket' : 'approval', id };
}

/** Open what the address names (on load and on every hash change). */
export function route() {
  const target = parseHash();
  if (!target) {
    state.selected = null;
    state.item = null;
    state.itemError = null;
    redrawList();
    redrawItem();
    return;
  }
  if (target.type === 'approval' && state.view !== 'approvals') setView('approvals');
  if (target.type === 'ticket' && state.view === 'approvals') setView('tickets');
  openItem(target.type, target.id);
}
