/* Reading from the API into the store: the lists, the open item, canned replies, the people; refreshes after a change.
 *
 * Each read has a sequence number, so an older answer that arrives late never overwrites a newer one.
 */

import { api } from './api.js';
import { learnClock, stamp } from './clock.js';
import { enc } from './format.js';
import { failed, toast } from './notices.js';
import { SEES_APPROVALS } from './session.js';
import { listKey, redrawItem, redrawList, state } from './store.js';

const LIST_PATHS = {
  active: () => '/api/tickets?state=active', closed: () => closedPath(null),
  pending: () => '/api/approvals?state=pending', decided: () => '/api/approvals?state=decided',
};

/** The closed list's address: the search asked for, from the start or after a page's cursor. */
function closedPath(after) {
  const params = new URLSearchParams(state.closedQuery);
  if (after) params.set('after', after);
  return '/api/closed-tickets?' + params.toString();
}

/** A list's items (the closed list answers a page: its tickets and the next page's cursor). */
function itemsOf(data) {
  const items = Array.isArray(data) ? data : (data && (data.tickets || data.items)) || [];
  const fetchedAt = Date.now();
  items.forEach((item) => learnClock(item, fetchedAt));
  items.forEach(stamp);
  return items;
}
const seq = {};

/** Show the Inbox, Approvals or Closed list, reading it if it is not there or out of date. */
export function setView(view) {
  if (view === 'approvals' && !SEES_APPROVALS) return;
  state.view = view;
  state.queue = 'all';
  const key = listKey();
  if (state.lists[key] === null || state.stale[key]) loadList(key);
  redrawList();
}

export async function loadList(key) {
  const mine = (seq[key] = (seq[key] || 0) + 1);
  try {
    const data = await api('GET', LIST_PATHS[key]());
    if (mine !== seq[key]) return;
    state.lists[key] = itemsOf(data);
    if (key === 'closed') Object.assign(state, { closedNext: data.next || null, closedPages: 1 });
    state.listErrors[key] = null;
    state.stale[key] = false;
  } catch (err) {
    if (mine !== seq[key]) return;
    state.listErrors[key] = err.message;
    // A network failure shows as "reconnecting"; anything else is said out loud.
    if (err.status !== 401 && err.status !== 0) failed(err);
  }
  redrawList();
  if (!state.selected) redrawItem();
}

/** Read the closed tickets before the last one shown ("Older"), and add them under it. */
export async function loadOlder() {
  if (!state.closedNext || state.loadingOlder) return;
  const mine = seq.closed;
  state.loadingOlder = true;
  redrawList();
  try {
    const data = await api('GET', closedPath(state.closedNext));
    if (mine === seq.closed) {
      state.lists.closed = (state.lists.closed || []).concat(itemsOf(data));
      state.closedNext = data.next || null;
      state.closedPages += 1;
    }
  } catch (err) {
    if (err.status !== 401 && err.status !== 0) failed(err);
  } finally {
    state.loadingOlder = false;
  }
  redrawList();
}

let itemSeq = 0;

/** Open a ticket or an approval; `quiet` re-reads the open one and keeps it on screen if that fails. */
export async function openItem(type, id, { quiet = false } = {}) {
  const same = state.selected && state.selected.type === type && state.selected.id === id;
  if (!same) {
    state.selected = { type, id };
    state.item = null;
    state.itemError = null;
    redrawItem();
  }
  redrawList();
  const mine = ++itemSeq;
  try {
    const data = await api('GET', (type === 'ticket' ? '/api/tickets/' : '/api/approvals/') + enc(id));
    if (mine !== itemSeq) return;
    learnClock(data, Date.now());
    stamp(data);
    const first = !same || !state.item;
    state.item = data;
    state.itemError = null;
    if (first && type === 'ticket' && data.status === 'closed' && state.view === 'tickets') setView('closed');
  } catch (err) {
    if (mine !== itemSeq) return;
    if (!quiet || !state.item) {
      state.item = null;
      state.itemError = err.status === 404 ? 'This ' + type + ' does not exist, or you cannot see it.' : err.message;
    }
    if (quiet) failed(err);
  }
  redrawItem();
}

export const reloadItem = () => (state.selected ? openItem(state.selected.type, state.selected.id, { quiet: true }) : Promise.resolve());

/** Take an item a POST answered with, if it is the open one. */
export function takeItem(data, type) {
  if (!data || typeof data !== 'object' || !state.selected || state.selected.type !== type || data.id !== state.selected.id) {
    return reloadItem();
  }
  state.item = stamp(data);
  redrawItem();
  return Promise.resolve();
}

export async function loadCanned() {
  try {
    const data = await api('GET', '/api/canned');
    state.canned = Array.isArray(data) ? data : [];
  } catch (err) {
    state.canned = [];
    if (err.status !== 401) toast('Canned replies did not load: ' + err.message, 'warn');
  }
}

export async function loadUsers() {
  if (state.users) return;
  try {
    const data = await api('GET', '/api/users');
    state.users = Array.isArray(data) ? data : [];
    redrawList();
    redrawItem();
  } catch (err) {
    if (err.status !== 401 && err.status !== 403) toast('The list of people did not load: ' + err.message, 'warn');
  }
}

// Pushes and our own changes ask for a refresh; it runs once ~150 ms after the last ask.
const want = { tickets: false, approvals: false, item: false };
let refreshTimer = null;
let refreshFirstAsk = 0;

export function scheduleRefresh(what) {
  Object.keys(what).forEach((k) => { if (what[k]) want[k] = true; });
  const now = Date.now();
  if (!refreshTimer) refreshFirstAsk = now;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(runRefresh, now - refreshFirstAsk > 1000 ? 0 : 150);
}

function runRefresh() {
  refreshTimer = null;
  const jobs = [];
  if (want.tickets) {
    jobs.push(loadList('active'));
    // a page of older closed tickets being read stays put: the list is read again on coming back to the tab
    if (state.view === 'closed' && state.closedPages <= 1) jobs.push(loadList('closed'));
    else state.stale.closed = true;
  }
  if (want.approvals && SEES_APPROVALS) {
    jobs.push(loadList('pending'));
    if (state.view === 'approvals' && state.approvalState === 'decided') jobs.push(loadList('decided'));
    else state.stale.decided = true;
  }
  if (want.item) jobs.push(reloadItem());
  want.tickets = want.approvals = want.item = false;
  return Promise.all(jobs);
}

export const refreshAll = () => scheduleRefresh({ tickets: true, approvals: true, item: true });
