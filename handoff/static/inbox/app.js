/* The shared inbox: one page for agents, seniors and managers. This module starts it.
 *
 * Talks only to the API in handoff/API.md. Plain DOM, no framework, no build step: the browser
 * loads these modules as they are. Every piece of data goes into the page through textContent or
 * attributes (dom.js's h()), never through innerHTML.
 */

import { closeCannedOnOutsideClicks } from './canned.js';
import { mountClosedSearch } from './closed_search.js';
import { updateTimers } from './countdowns.js';
import { renderItem } from './item_view.js';
import { listenForShortcuts, toggleHelp } from './keyboard.js';
import { renderList, visibleItems } from './list_view.js';
import { connect, reconnectWhenOnline } from './live.js';
import { loadCanned, loadList, loadUsers } from './loading.js';
import { setUpMyPhone } from './my_phone.js';
import { hrefFor, route } from './routing.js';
import { ASSIGNS, SEES_APPROVALS, USER } from './session.js';
import { setPainters, state } from './store.js';

function start() {
  setPainters({ list: renderList, item: renderItem });
  closeCannedOnOutsideClicks();
  reconnectWhenOnline();
  listenForShortcuts();
  mountClosedSearch();

  const who = document.getElementById('whoami');
  who.textContent = (USER.name || USER.username || '') + (USER.role ? ' \u00b7 ' + USER.role : '');
  const search = document.getElementById('list-search');
  search.addEventListener('input', () => { state.search = search.value; renderList(); });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      const first = visibleItems()[0];
      if (first) location.hash = hrefFor(state.view === 'approvals' ? 'approval' : 'ticket', first.id);
      search.blur();
    }
  });
  document.getElementById('shortcuts-button').addEventListener('click', () => toggleHelp(true));
  document.getElementById('help-close').addEventListener('click', () => toggleHelp(false));
  document.getElementById('help').addEventListener('click', (e) => { if (e.target.id === 'help') toggleHelp(false); });
  setUpMyPhone();
  window.addEventListener('hashchange', route);

  renderList();
  renderItem();
  loadList('active');
  if (SEES_APPROVALS) loadList('pending');
  if (ASSIGNS) loadUsers();
  loadCanned();
  route();
  connect();
  setInterval(() => {
    updateTimers(document.getElementById('list'));
    updateTimers(document.getElementById('main'));
    updateTimers(document.getElementById('side'));
  }, 1000);
}

start();
