/* The shared inbox: one page for agents, seniors and managers.
 *
 * Talks only to the API in handoff/API.md. Plain DOM, no framework: every piece of data goes
 * into the page through textContent or attributes (the h() helper), never through innerHTML.
 *
 * Layout of this file: helpers, API and messages, state and routing, loading, the list, the
 * evidence renderers shared by tickets and approvals, the ticket view, the approval view, the
 * composer and canned replies, timers, the websocket, keyboard shortcuts, start-up.
 */
'use strict';

(() => {
  // ---------------------------------------------------------------- boot data

  const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  const USER = readUser();
  const SEES_APPROVALS = ['senior', 'manager', 'admin'].includes(USER.role);
  const ASSIGNS = ['senior', 'manager', 'admin'].includes(USER.role);
  const PRIORITY_RANK = { urgent: 0, high: 1, normal: 2 };
  const QUEUES = ['agent', 'senior', 'manager'];

  function readUser() {
    const node = document.getElementById('inbox-user');
    try {
      return JSON.parse(node ? node.textContent : '{}') || {};
    } catch (err) {
      return {};
    }
  }

  // ---------------------------------------------------------------- DOM helpers

  /** h('div', {class, testid, data: {...}, on: {...}, ...attrs}, ...children): text only. */
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    appendAll(el, children);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === null || value === undefined || value === false) continue;
        if (key === 'class') el.className = value;
        else if (key === 'testid') el.dataset.testid = value;
        else if (key === 'data') Object.entries(value).forEach(([k, v]) => { if (v !== null && v !== undefined) el.dataset[k] = String(v); });
        else if (key === 'on') Object.entries(value).forEach(([ev, fn]) => el.addEventListener(ev, fn));
        else if (key === 'text') el.textContent = value;
        else if (key === 'value' || key === 'disabled' || key === 'checked' || key === 'selected' || key === 'hidden') el[key] = value;
        else el.setAttribute(key, value === true ? '' : String(value));
      }
    }
    return el;
  }

  function appendAll(el, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) appendAll(el, child);
      else el.append(child instanceof Node ? child : String(child));
    }
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const ICONS = {
    clock: [['circle', { cx: 8, cy: 8, r: 6.25 }], ['path', { d: 'M8 4.5V8l2.5 1.5' }]],
    tick: [['path', { d: 'M3 8.5l3 3 7-7' }]],
    cross: [['path', { d: 'M4 4l8 8M12 4l-8 8' }]],
    record: [['path', { d: 'M4 2.5h6l2.5 2.5v8.5h-8.5z' }], ['path', { d: 'M6 8h4M6 10.5h4' }]],
    lock: [['rect', { x: 3.5, y: 7, width: 9, height: 6.5, rx: 1 }], ['path', { d: 'M5.5 7V5a2.5 2.5 0 015 0v2' }]],
  };

  function icon(name) {
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 16 16');
    svg.setAttribute('class', 'icon icon-' + name);
    svg.setAttribute('aria-hidden', 'true');
    for (const [tag, attrs] of ICONS[name]) {
      const part = document.createElementNS(SVG_NS, tag);
      Object.entries(attrs).forEach(([k, v]) => part.setAttribute(k, String(v)));
      svg.append(part);
    }
    return svg;
  }

  // ---------------------------------------------------------------- formatting

  const enc = encodeURIComponent;
  const capitalize = (text) => String(text || '').charAt(0).toUpperCase() + String(text || '').slice(1);
  const humanize = (code) => String(code || '').replace(/[_:]+/g, ' ').trim();

  function fmtDur(sec) {
    sec = Math.max(0, Math.round(sec));
    if (sec < 60) return sec + 's';
    const m = Math.floor(sec / 60);
    if (m < 60) return m + 'm';
    const hr = Math.floor(m / 60);
    if (hr < 24) return hr + 'h ' + (m % 60) + 'm';
    const d = Math.floor(hr / 24);
    return d + 'd ' + (hr % 24) + 'h';
  }

  /** Seconds left, precise under an hour (4:05), coarse above. */
  function fmtLeft(sec) {
    if (sec < 3600) {
      const m = Math.floor(sec / 60);
      return m + ':' + String(sec % 60).padStart(2, '0');
    }
    return fmtDur(sec);
  }

  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  const dateTimeFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

  function parseTime(iso) {
    const ms = iso ? Date.parse(iso) : NaN;
    return Number.isNaN(ms) ? null : ms;
  }

  function fmtWhen(iso) {
    const ms = parseTime(iso);
    if (ms === null) return '';
    const d = new Date(ms);
    return d.toDateString() === new Date().toDateString() ? timeFmt.format(d) : dateTimeFmt.format(d);
  }

  const shortDateFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  function shortDate(day) {
    const ms = parseTime(day);
    return ms === null ? String(day || '') : shortDateFmt.format(new Date(ms));
  }

  function fmtFull(iso) {
    const ms = parseTime(iso);
    return ms === null ? '' : fullFmt.format(new Date(ms));
  }

  function ago(iso) {
    const ms = parseTime(iso);
    if (ms === null) return '';
    return fmtDur((serverNow() - ms) / 1000) + ' ago';
  }

  const CHANNELS = { socketio: 'Web chat', rest: 'REST (test)', twilio: 'SMS', sms: 'SMS', whatsapp: 'WhatsApp', voice: 'Voice' };
  const channelLabel = (c) => CHANNELS[c] || humanize(c) || 'unknown channel';


  const OUTCOMES = [
    ['resolved', 'Resolved', 'Sorted out: the bot asks if there is anything else.'],
    ['continue', 'Continue with the bot', 'The bot picks the conversation up again, including a waiting request.'],
    ['approved', 'Approve the waiting action', 'You sign it off: it runs once, within your limit.'],
    ['rejected', 'Reject the waiting action', 'Declined: the customer hears your note as the reason.'],
  ];

  function customerName(item) {
    return (item.customer && item.customer.name) || item.conversation_id || 'Unknown customer';
  }

  function firstName(item) {
    const name = item && item.customer && item.customer.name;
    return name ? name.trim().split(/\s+/)[0] : 'there';
  }

  function userLabel(username) {
    if (!username) return '';
    if (username === USER.username) return 'you';
    const found = (state.users || []).find((u) => u.username === username);
    return found ? found.name : username;
  }

  /** The mood word the server gives (bands in actions/domain/staff_words.py), as a colour class. */
  const MOOD_CLASS = { angry: 'negative', upset: 'negative', calm: 'neutral', happy: 'positive' };
  const moodClass = (mood) => MOOD_CLASS[mood] || 'neutral';

  // ---------------------------------------------------------------- API, toasts, banner

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (method !== 'GET') {
      opts.headers['Content-Type'] = 'application/json';
      opts.headers['X-CSRF-Token'] = CSRF;
      opts.body = JSON.stringify(body || {});
    }
    let res;
    try {
      res = await fetch(path, opts);
    } catch (err) {
      throw new ApiError(0, 'Could not reach the server: check your connection and try again.');
    }
    if (res.redirected && new URL(res.url).pathname === '/login') {
      sessionEnded();
      throw new ApiError(401, 'You are signed out: sign in again.');
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (err) {
      data = null;
    }
    if (res.status === 401) sessionEnded();
    if (!res.ok) {
      const message = data && data.error ? data.error : `The server answered ${res.status} ${res.statusText || ''}`.trim();
      throw new ApiError(res.status, message);
    }
    return data;
  }

  let toastTimer = null;

  /**
   * One toast at a time (the newest wins), so there is exactly one [data-testid=toast] and its
   * text is the message. It never takes clicks (the page under it stays usable); Esc dismisses.
   */
  function toast(message, kind = 'error') {
    const slot = document.getElementById('toast-slot');
    clearTimeout(toastTimer);
    const node = h('div', { class: 'toast toast-' + kind, testid: 'toast', data: { kind }, role: kind === 'error' ? 'alert' : 'status' }, message);
    clear(slot).append(node);
    const ms = kind === 'error' ? 12000 : kind === 'warn' ? 8000 : 3500;
    toastTimer = setTimeout(() => { if (node.parentNode) node.remove(); }, ms);
  }

  function dismissToast() {
    const slot = document.getElementById('toast-slot');
    if (!slot.firstChild) return false;
    clear(slot);
    return true;
  }

  function showBanner(message, linkText, href) {
    const banner = document.getElementById('banner');
    appendAll(clear(banner), [h('span', null, message), linkText ? h('a', { href }, linkText) : null]);
    banner.hidden = false;
  }

  let signedOut = false;
  function sessionEnded() {
    if (signedOut) return;
    signedOut = true;
    showBanner('Your session has ended, so the inbox is not updating.', 'Sign in again', '/login');
    setLive('offline');
  }

  function failed(err) {
    toast(err && err.message ? err.message : String(err), 'error');
  }

  // ---------------------------------------------------------------- state and routing

  const state = {
    view: 'tickets', // tickets | approvals | closed
    queue: 'all',
    mine: false,
    approvalState: 'pending',
    search: '',
    lists: { active: null, closed: null, pending: null, decided: null },
    listErrors: {},
    stale: {},
    selected: null, // {type: 'ticket'|'approval', id}
    item: null,
    itemError: null,
    renderedKey: null,
    canned: null,
    users: null,
    clockOffset: 0,
    busy: false,
  };
  const drafts = new Map(); // "ticket:<id>:<field>" -> text typed but not sent
  const ui = new Map(); // per item: {rejectOpen}

  const itemKey = () => (state.selected ? state.selected.type + ':' + state.selected.id : '');
  const uiFor = (key) => { if (!ui.has(key)) ui.set(key, {}); return ui.get(key); };
  const serverNow = () => Date.now() + state.clockOffset;

  function parseHash() {
    const m = /^#\/(tickets|approvals)\/(.+)$/.exec(location.hash);
    if (!m) return null;
    let id = m[2];
    try { id = decodeURIComponent(id); } catch (err) { /* keep as typed */ }
    return { type: m[1] === 'tickets' ? 'ticket' : 'approval', id };
  }

  const hrefFor = (type, id) => '#/' + (type === 'ticket' ? 'tickets' : 'approvals') + '/' + enc(id);

  function route() {
    const target = parseHash();
    if (!target) {
      state.selected = null;
      state.item = null;
      state.itemError = null;
      renderList();
      renderItem();
      return;
    }
    if (target.type === 'approval' && state.view !== 'approvals') setView('approvals');
    if (target.type === 'ticket' && state.view === 'approvals') setView('tickets');
    openItem(target.type, target.id);
  }

  function setView(view) {
    if (view === 'approvals' && !SEES_APPROVALS) return;
    state.view = view;
    state.queue = 'all';
    const key = listKey();
    if (state.lists[key] === null || state.stale[key]) loadList(key);
    renderList();
  }

  function listKey() {
    if (state.view === 'approvals') return state.approvalState === 'decided' ? 'decided' : 'pending';
    return state.view === 'closed' ? 'closed' : 'active';
  }

  // ---------------------------------------------------------------- loading

  const seq = {};
  const LIST_PATHS = {
    active: '/api/tickets?state=active', closed: '/api/tickets?state=closed',
    pending: '/api/approvals?state=pending', decided: '/api/approvals?state=decided',
  };

  async function loadList(key) {
    const mine = (seq[key] = (seq[key] || 0) + 1);
    try {
      const data = await api('GET', LIST_PATHS[key]);
      if (mine !== seq[key]) return;
      const items = Array.isArray(data) ? data : (data && data.items) || [];
      const fetchedAt = Date.now();
      items.forEach((item) => learnClock(item, fetchedAt));
      items.forEach(stamp);
      state.lists[key] = items;
      state.listErrors[key] = null;
      state.stale[key] = false;
    } catch (err) {
      if (mine !== seq[key]) return;
      state.listErrors[key] = err.message;
      // A network failure shows as "reconnecting"; anything else is said out loud.
      if (err.status !== 401 && err.status !== 0) failed(err);
    }
    renderList();
    if (!state.selected) renderItem();
  }

  /** Waiting time ticks from when we read it, whatever the two clocks say. */
  function stamp(item) {
    if (item && typeof item === 'object') item._since = serverNow() - (item.waiting_seconds || 0) * 1000;
    return item;
  }

  /** Line our clock up with the server's from an item's due time and seconds left. */
  function learnClock(item, at) {
    const due = item.sla ? item.sla : item;
    const dueMs = parseTime(due && due.due_at);
    if (dueMs !== null && typeof due.seconds_left === 'number') {
      state.clockOffset = dueMs - due.seconds_left * 1000 - at;
    }
  }

  let itemSeq = 0;
  async function openItem(type, id, { quiet = false } = {}) {
    const same = state.selected && state.selected.type === type && state.selected.id === id;
    if (!same) {
      state.selected = { type, id };
      state.item = null;
      state.itemError = null;
      renderItem();
    }
    renderList();
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
    renderItem();
  }

  const reloadItem = () => (state.selected ? openItem(state.selected.type, state.selected.id, { quiet: true }) : Promise.resolve());

  /** Take an item a POST answered with, if it is the open one. */
  function takeItem(data, type) {
    if (!data || typeof data !== 'object' || !state.selected || state.selected.type !== type || data.id !== state.selected.id) {
      return reloadItem();
    }
    state.item = stamp(data);
    renderItem();
    return Promise.resolve();
  }

  async function loadCanned() {
    try {
      const data = await api('GET', '/api/canned');
      state.canned = Array.isArray(data) ? data : [];
    } catch (err) {
      state.canned = [];
      if (err.status !== 401) toast('Canned replies did not load: ' + err.message, 'warn');
    }
  }

  async function loadUsers() {
    if (state.users) return;
    try {
      const data = await api('GET', '/api/users');
      state.users = Array.isArray(data) ? data : [];
      renderList();
      renderItem();
    } catch (err) {
      if (err.status !== 401 && err.status !== 403) toast('The list of people did not load: ' + err.message, 'warn');
    }
  }

  // Pushes and our own changes ask for a refresh; it runs once ~150 ms after the last ask.
  const want = { tickets: false, approvals: false, item: false };
  let refreshTimer = null;
  let refreshFirstAsk = 0;

  function scheduleRefresh(what) {
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
      if (state.view === 'closed') jobs.push(loadList('closed'));
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

  const refreshAll = () => scheduleRefresh({ tickets: true, approvals: true, item: true });

  // ---------------------------------------------------------------- the list

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
  function visibleItems() {
    const items = state.lists[listKey()] || [];
    if (state.view === 'approvals') {
      return items.filter(matchesSearch).slice().sort((a, b) => (parseTime(a.due_at) || 0) - (parseTime(b.due_at) || 0));
    }
    const mineOnly = state.mine && state.view === 'tickets';
    return sortTickets(items.filter((t) => (state.queue === 'all' || t.queue === state.queue)
      && (!mineOnly || t.assignee === USER.username) && matchesSearch(t)));
  }

  function renderList() {
    renderTabs();
    renderChips();
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
        : { active: 'No open tickets. Everything is handled.', closed: 'No closed tickets yet.',
          pending: 'No approvals waiting.', decided: 'No decided approvals yet.' }[key];
      box.append(h('div', { class: 'list-empty' }, empty));
      return;
    }
    const rows = shown.map((item) => (state.view === 'approvals' ? approvalRow(item) : ticketRow(item)));
    box.append(h('div', { class: 'rows', role: 'list' }, rows));
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

  function isSelected(type, id) {
    return state.selected && state.selected.type === type && state.selected.id === id;
  }

  function priorityBadge(priority) {
    return h('span', { class: 'prio prio-' + (priority || 'normal'), data: { priority } }, priority || 'normal');
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

  function statusPill(status) {
    return h('span', { class: 'status status-' + status }, status);
  }

  // ---------------------------------------------------------------- countdowns

  function slaLeft(sla) {
    if (!sla) return Infinity;
    const due = parseTime(sla.due_at);
    return due === null ? (sla.seconds_left ?? Infinity) : Math.round((due - serverNow()) / 1000);
  }

  function slaBadge(sla) {
    const due = parseTime(sla.due_at);
    return h('span', {
      class: 'sla', testid: 'sla', title: (sla.kind === 'claim' ? 'Claim' : 'Reply') + ' due ' + fmtFull(sla.due_at),
      data: { due: due === null ? null : due, prefix: (sla.kind || 'reply') + ' in ' },
    }, icon('clock'), h('span', { class: 'sla-text' }, ''));
  }

  function dueBadge(dueAt, secondsLeft, prefix) {
    const due = parseTime(dueAt) ?? (typeof secondsLeft === 'number' ? serverNow() + secondsLeft * 1000 : null);
    if (due === null) return h('span');
    return h('span', { class: 'sla', testid: 'due', title: 'Due ' + fmtFull(new Date(due).toISOString()), data: { due, prefix } },
      icon('clock'), h('span', { class: 'sla-text' }, ''));
  }

  /** Every second: countdowns from [data-due], elapsed times from [data-since]. */
  function updateTimers(root) {
    const now = serverNow();
    root.querySelectorAll('[data-due]').forEach((el) => {
      const left = Math.round((Number(el.dataset.due) - now) / 1000);
      const text = left < 0 ? 'overdue by ' + fmtDur(-left) : (el.dataset.prefix || '') + fmtLeft(left);
      const target = el.querySelector('.sla-text') || el;
      if (target.textContent !== text) target.textContent = text;
      el.classList.toggle('is-overdue', left < 0);
      el.classList.toggle('is-soon', left >= 0 && left < 120);
    });
    root.querySelectorAll('[data-since]').forEach((el) => {
      const text = (el.dataset.prefix || '') + fmtDur((now - Number(el.dataset.since)) / 1000);
      if (el.textContent !== text) el.textContent = text;
    });
  }

  // ---------------------------------------------------------------- evidence renderers (tickets and approvals)

  function section(title, ...body) {
    return h('section', { class: 'card' }, h('h2', { class: 'card-title' }, title), body);
  }

  /** The top of a case: summary in large type, then what the bot read, in words, as chips. */
  function brief(ev, fallbackSummary) {
    const summary = (ev && ev.summary) || fallbackSummary || 'No summary: read the conversation below.';
    const chips = [];
    if (ev && ev.understood) {
      chips.push(h('span', { class: 'fact', title: 'What the bot understood, and how sure it was' },
        h('span', { class: 'fact-key' }, 'wants'), ev.understood));
    }
    if (ev && ev.mood) {
      chips.push(h('span', { class: 'fact sentiment sentiment-' + moodClass(ev.mood), testid: 'sentiment' },
        h('span', { class: 'fact-key' }, 'mood'), ev.mood));
    }
    (ev && ev.why || []).forEach((why) => chips.push(h('span', { class: 'flag' }, why)));
    ((ev && ev.details) || []).forEach((d) => {
      chips.push(h('span', { class: 'fact fact-entity' }, h('span', { class: 'fact-key' }, d.label), d.value));
    });
    return h('div', { class: 'brief' },
      h('p', { class: 'summary', testid: 'summary' }, summary),
      chips.length ? h('div', { class: 'facts' }, chips) : null);
  }

  function pendingCard(pending, approval) {
    if (!pending) return null;
    return h('section', { class: 'keycard keycard-pending', testid: 'pending-action' },
      h('div', { class: 'keycard-label' }, 'Pending action', h('span', { class: 'stage stage-' + (pending.stage || '') }, pending.stage_words || '')),
      h('div', { class: 'keycard-main' },
        pending.amount ? h('span', { class: 'keycard-amount' }, pending.amount) : null,
        h('span', { class: 'keycard-headline' }, pending.headline || humanize(pending.kind))),
      // what the business said when it ran (e.g. why it failed), so nobody has to dig for it
      pending.result ? h('div', { class: 'keycard-foot', testid: 'pending-result' }, 'Result: ', pending.result) : null,
      approval ? h('div', { class: 'keycard-foot' },
        'Approval ', statusPill(approval.status), ' ', (approval.approvals || []).length + ' of ' + (approval.needs || 1),
        approval.status === 'pending' ? [' \u00b7 ', dueBadge(approval.due_at, approval.seconds_left, 'due in ')] : null,
        SEES_APPROVALS ? [' \u00b7 ', h('a', { href: hrefFor('approval', approval.id) }, 'open approval')] : null) : null);
  }

  function recommendationCard(text) {
    if (!text) return null;
    return h('section', { class: 'keycard keycard-rec', testid: 'recommendation' },
      h('div', { class: 'keycard-label' }, 'Recommended'),
      h('p', { class: 'keycard-text' }, text));
  }

  /** "live" or, when the order system could not be reached, the snapshot's time. */
  function freshness(account) {
    if (!account) return null;
    return account.live
      ? h('span', { class: 'card-note', testid: 'account-live' }, 'live')
      : h('span', { class: 'card-note warn-text', testid: 'account-as-of', title: 'The order system could not be reached: these are the values taken at handoff' },
        'as of ' + fmtFull(account.as_of));
  }

  function customerCard(account, fallback, conversationId) {
    const c = (account && account.customer) || fallback;
    if (!c || !c.id) {
      return section('Customer', h('p', { class: 'muted' }, 'Unknown customer: not matched to an account.'),
        h('dl', { class: 'kv' }, h('dt', null, 'Contact'), h('dd', null, conversationId || '')));
    }
    const rows = [['Phone', c.phone], ['Email', c.email], ['Account', c.status], ['Balance', c.balance], ['ID', c.id]].filter(([, v]) => v);
    const subs = c.subscriptions || [];
    return h('section', { class: 'card', testid: 'customer' },
      h('h2', { class: 'card-title' }, 'Customer ', freshness(account)),
      h('div', { class: 'customer-name' }, c.name || conversationId || 'Unknown'),
      h('dl', { class: 'kv' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, String(v))])),
      subs.length ? h('ul', { class: 'plain-list subs' }, subs.map((s) => h('li', null, s))) : null);
  }

  function ordersCard(account) {
    const orders = (account && account.orders) || [];
    if (!orders.length) return null;
    return h('section', { class: 'card', testid: 'orders' }, h('h2', { class: 'card-title' }, 'Orders ', freshness(account)),
      h('table', { class: 'table' },
        h('thead', null, h('tr', null, ['Order', 'Item', 'Total', 'Placed'].map((t) => h('th', null, t)))),
        h('tbody', null, orders.map((o) => h('tr', null,
          h('td', { class: 'mono' }, o.id),
          h('td', null, o.item, h('div', { class: 'order-status' }, o.status)),
          h('td', { class: 'num' }, o.total, o.refunded && !/^\$?0(\.00)?$/.test(o.refunded) ? h('div', { class: 'refunded' }, o.refunded + ' refunded') : null),
          h('td', { class: 'nowrap', title: o.placed_on }, shortDate(o.placed_on)))))));
  }

  function historyCard(ev, account) {
    if (!ev && !account) return null;
    const prev = (ev && ev.previous_tickets) || [];
    const count = account ? account.recent_refunds : 0;
    return section('History',
      account ? h('dl', { class: 'kv' }, h('dt', null, 'Refunds in the last ' + account.refund_window_days + ' days'),
        h('dd', { class: count > 0 ? 'warn-text' : '', testid: 'recent-refunds' }, String(count))) : null,
      prev.length ? h('ul', { class: 'plain-list' }, prev.map((t) => h('li', null,
        priorityBadge(t.priority), ' ', t.topic_words, ' \u00b7 ', t.status, ' \u00b7 ', h('span', { class: 'muted' }, fmtWhen(t.created_at)))))
        : h('p', { class: 'muted' }, 'No earlier tickets.'));
  }

  /** Earlier requests and refunds on the order an approval is about. */
  function sameOrderCard(history) {
    if (!history) return null;
    const requests = history.requests || [];
    const refunds = history.refunds || [];
    return h('section', { class: 'card', testid: 'same-order' }, h('h2', { class: 'card-title' }, 'Earlier on order ' + history.order_id),
      requests.length ? h('ul', { class: 'plain-list' }, requests.map((r) => h('li', null,
        (r.amount || r.headline || 'Request') + ' ', statusPill(r.status),
        r.decided_by ? ' by ' + (r.decided_by === 'timer' ? 'nobody in time' : userLabel(r.decided_by)) : '',
        r.new_amount ? ' to ' + r.new_amount : '', r.reason ? ': ' + r.reason : '',
        ' \u00b7 ', h('span', { class: 'muted' }, fmtWhen(r.requested_at)))))
        : h('p', { class: 'muted' }, 'No earlier requests on this order.'),
      refunds.length ? h('ul', { class: 'plain-list' }, refunds.map((r) => h('li', null,
        'Refunded ' + r.amount, ' \u00b7 ', h('span', { class: 'muted' }, fmtWhen(r.at)))))
        : h('p', { class: 'muted' }, 'No refunds on this order yet.'));
  }

  function reasoningCard(ev) {
    if (!ev) return null;
    const why = ev.why || [];
    const alts = ev.alternatives || [];
    const details = ev.details || [];
    return section('Why it came to a person',
      why.length ? h('ul', { class: 'plain-list reasons' }, why.map((w) => h('li', null, w))) : null,
      h('dl', { class: 'kv' },
        h('dt', null, 'Wants'), h('dd', null, ev.understood || '\u2014'),
        h('dt', null, 'Mood'), h('dd', null, ev.mood || '\u2014'),
        h('dt', null, 'Details'), h('dd', null, details.length ? details.map((d) => d.label + ' ' + d.value).join(', ') : 'none')),
      alts.length ? [h('h3', { class: 'card-sub' }, 'Options the bot considered'), h('ul', { class: 'plain-list alts' }, alts.map((a) => h('li', null, a)))] : null);
  }

  function evidenceSide(ev, account, fallbackCustomer, conversationId) {
    return [customerCard(account, fallbackCustomer, conversationId), ordersCard(account), historyCard(ev, account), reasoningCard(ev)];
  }

  const SPEAKERS = { customer: 'Customer', bot: 'Bot', agent: 'Agent', note: 'Internal note', system: 'System' };

  function deliveryStatus(m) {
    switch (m.delivery) {
      case 'pending': return h('span', { class: 'delivery delivery-pending', title: 'Waiting for the channel to take it' }, icon('clock'), 'sending');
      case 'sent': return h('span', { class: 'delivery delivery-sent', title: "Sent: the customer's screen has not shown it yet (it will when they come back)" }, icon('tick'), 'sent');
      case 'delivered': return h('span', { class: 'delivery delivery-delivered', title: "Shown on the customer's screen" }, icon('tick'), 'delivered');
      case 'recorded': return h('span', { class: 'delivery delivery-recorded', title: 'This channel cannot push: the reply is in the conversation record' }, icon('record'), 'recorded');
      case 'failed': return h('span', { class: 'delivery delivery-failed' }, icon('cross'), 'not delivered: ' + (m.error || 'unknown error'),
        h('button', { type: 'button', class: 'button button-small', testid: 'retry', data: { messageId: m.id }, on: { click: (e) => retryMessage(m, e.currentTarget) } }, 'Retry'));
      default: return null;
    }
  }

  function messageEl(m, source, customer) {
    const kind = m.kind || m.speaker || 'system';
    const who = kind === 'customer' ? customer : kind === 'agent' ? userLabel(m.author) || 'Agent' : kind === 'note' ? (userLabel(m.author) || 'Someone') : SPEAKERS[kind] || kind;
    if (kind === 'system') {
      return h('div', { class: 'msg msg-system', testid: 'message', data: { kind, delivery: m.delivery || '', source, messageId: m.id } },
        h('span', null, m.text), h('time', { datetime: m.at, title: fmtFull(m.at) }, fmtWhen(m.at)));
    }
    return h('div', { class: 'msg msg-' + kind, testid: 'message', data: { kind, delivery: m.delivery || '', source, messageId: m.id } },
      h('div', { class: 'msg-meta' },
        kind === 'note' ? h('span', { class: 'note-tag' }, icon('lock'), 'Internal, not sent') : null,
        h('span', { class: 'msg-who' }, who),
        kind === 'bot' || kind === 'agent' ? h('span', { class: 'msg-role' }, kind) : null,
        h('time', { datetime: m.at, title: fmtFull(m.at) }, fmtWhen(m.at))),
      h('div', { class: 'msg-bubble' }, m.text),
      kind === 'agent' ? h('div', { class: 'msg-status' }, deliveryStatus(m)) : null);
  }

  function conversation(transcript, messages, handedAt, customer, inline = false) {
    const nodes = (transcript || []).map((line) => messageEl({ at: line.at, kind: line.speaker, text: line.text }, 'evidence', customer));
    if (nodes.length) nodes.unshift(h('div', { class: 'divider divider-first' }, h('span', null, 'With the bot')));
    if (messages) {
      nodes.push(h('div', { class: 'divider', testid: 'handoff-divider' }, h('span', null, 'Handed to a person' + (handedAt ? ' \u00b7 ' + fmtWhen(handedAt) : ''))));
      messages.forEach((m) => nodes.push(messageEl(m, 'live', customer)));
      if (!messages.length) nodes.push(h('div', { class: 'muted conv-empty' }, 'Nothing said since the handoff.'));
    }
    if (!nodes.length) nodes.push(h('div', { class: 'muted conv-empty' }, 'No conversation recorded.'));
    return h('div', { class: 'conversation' + (inline ? ' conversation-inline' : ''), id: inline ? null : 'conversation', 'aria-label': 'Conversation', tabindex: '0' }, nodes);
  }

  // ---------------------------------------------------------------- rendering the open item

  function renderItem() {
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

  function emptyState() {
    const list = state.lists.active || [];
    const overdue = list.filter((t) => slaLeft(t.sla) < 0).length;
    const unassigned = list.filter((t) => !t.assignee).length;
    return h('div', { class: 'empty' },
      h('h2', null, 'Hello, ' + (USER.name || USER.username || 'there')),
      h('p', null, list.length + ' open ticket' + (list.length === 1 ? '' : 's') + ', ' + unassigned + ' unassigned, ' + overdue + ' past their SLA.'),
      h('p', { class: 'muted' }, 'Pick one from the list, or press ', h('kbd', null, 'j'), ' to open the first.'));
  }

  /** A text field whose content survives re-renders and item switches until it is sent. */
  function field(tag, name, props, ...children) {
    const key = itemKey() + ':' + name;
    const el = h(tag, { ...props, data: { ...(props.data || {}), keep: name } }, children);
    if (tag === 'select') {
      // options come as children; pick the draft if there is one
      if (drafts.has(key)) el.value = drafts.get(key);
      el.addEventListener('change', () => drafts.set(key, el.value));
    } else {
      el.value = drafts.get(key) || '';
      el.addEventListener('input', () => { drafts.set(key, el.value); el.removeAttribute('aria-invalid'); });
    }
    return el;
  }

  const dropDraft = (name) => drafts.delete(itemKey() + ':' + name);
  const draftOf = (name) => (drafts.get(itemKey() + ':' + name) || '').trim();

  function invalid(el, message) {
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      el.focus();
    }
    toast(message, 'error');
  }

  // ---------------------------------------------------------------- ticket view

  function renderTicket(t, main, side) {
    const ev = t.evidence || null;
    const can = t.can || {};
    const pending = t.pending_action || (ev && ev.pending) || null;
    const statusText = t.status === 'closed' ? 'closed' : t.assignee ? t.status + ' \u00b7 ' + userLabel(t.assignee) : t.status + ' \u00b7 unassigned';

    const head = h('header', { class: 'case-head' },
      h('div', { class: 'case-line' },
        priorityBadge(t.priority),
        h('h1', { class: 'case-title' }, customerName(t)),
        h('span', { class: 'case-topic' }, t.topic_words || ''),
        h('span', { class: 'spacer' }),
        can.claim ? h('button', { type: 'button', class: 'button button-primary', testid: 'claim', title: 'Claim (c)', on: { click: (e) => ticketAction('claim', {}, 'Claimed: it is yours', e.currentTarget) } }, 'Claim') : null),
      h('div', { class: 'case-line case-meta' },
        h('span', { class: 'status status-' + t.status, testid: 'ticket-status', data: { status: t.status, assignee: t.assignee || '' } }, statusText),
        t.sla ? slaBadge(t.sla) : null,
        t.status !== 'closed' ? h('span', { class: 'meta', data: { since: t._since, prefix: 'waiting ' } }, '') : null,
        h('span', { class: 'meta' }, t.queue + ' queue'),
        t.channel ? h('span', { class: 'meta' }, channelLabel(t.channel)) : null,
        h('span', { class: 'meta mono', title: 'Conversation ' + (t.conversation_id || '') }, '#' + (t.ref || t.id))));

    const outcome = t.status === 'closed' || t.outcome || t.resolution
      ? h('div', { class: 'outcome', testid: 'ticket-outcome' },
        t.outcome ? ['Handed back: ', h('strong', null, t.outcome)] : 'Closed',
        t.resolution ? [' \u00b7 ', t.resolution] : null)
      : null;

    const keycards = [pendingCard(pending, t.approval), recommendationCard(ev && ev.recommendation)].filter(Boolean);
    appendAll(main, [
      head,
      outcome,
      h('div', { class: 'case-top' },
        brief(ev, t.summary),
        keycards.length ? h('div', { class: 'keycards keycards-' + keycards.length }, keycards) : null),
      conversation(ev && ev.transcript, t.messages || [], t.created_at, customerName(t)),
      composer(t)]);

    appendAll(side, [actionsCard(t), evidenceSide(ev, t.account, t.customer, t.conversation_id)]);
    if (can.assign) loadUsers();
  }

  function composer(t) {
    const can = t.can || {};
    const why = t.status === 'closed' ? 'This ticket is closed.'
      : !t.assignee ? 'Claim this ticket to reply.'
        : t.assignee !== USER.username ? 'Only ' + userLabel(t.assignee) + ' (the assignee) can reply.' : 'You cannot reply here.';
    const reply = field('textarea', 'reply', {
      class: 'input reply-input', rows: 2, testid: 'reply-input', disabled: !can.reply,
      placeholder: can.reply ? 'Reply to ' + (t.customer ? firstName(t) : 'the customer') + (t.channel ? ' on ' + channelLabel(t.channel) : '') + '. Enter sends, Shift+Enter new line, / for canned replies' : why,
      'aria-label': 'Reply to the customer',
    });
    reply.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        sendReply(reply, true);
      } else if (e.key === '/' && reply.value === '') {
        e.preventDefault();
        openCanned(reply);
      }
    });
    const note = field('textarea', 'note', {
      class: 'input note-input', rows: 1, testid: 'note-input', disabled: !can.note,
      placeholder: 'Internal note for the team: never sent to the customer', 'aria-label': 'Internal note',
    });
    note.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        sendNote(note, true);
      }
    });
    return h('div', { class: 'composer' + (can.reply ? '' : ' is-readonly') },
      h('div', { class: 'composer-reply' },
        reply,
        h('div', { class: 'composer-bar' },
          h('button', { type: 'button', class: 'button button-quiet', testid: 'canned-button', disabled: !can.reply, on: { click: () => openCanned(reply) } }, 'Canned replies'),
          h('span', { class: 'spacer' }),
          h('button', { type: 'button', class: 'button button-primary', testid: 'reply-send', disabled: !can.reply, on: { click: () => sendReply(reply) } }, 'Send'))),
      h('div', { class: 'composer-note' },
        note,
        h('button', { type: 'button', class: 'button button-note', testid: 'note-send', disabled: !can.note, on: { click: () => sendNote(note) } }, 'Add note')));
  }

  function actionsCard(t) {
    const can = t.can || {};
    const forms = [];
    if (can.assign) {
      const people = (state.users || []).filter((u) => u.role !== 'admin');
      const select = field('select', 'assign-user', { class: 'input', testid: 'assign-user', 'aria-label': 'Assign to' },
        h('option', { value: '' }, state.users ? 'Choose a person\u2026' : 'Loading people\u2026'),
        people.map((u) => h('option', { value: u.username }, u.name + ' (' + u.role + ')' + (u.username === t.assignee ? ', has it' : ''))));
      forms.push(actionForm('Assign', [select],
        h('button', { type: 'button', class: 'button', testid: 'assign-submit', on: { click: (e) => {
          if (!select.value) return invalid(select, 'Choose who gets this ticket.');
          ticketAction('assign', { username: select.value }, 'Assigned to ' + userLabel(select.value), e.currentTarget, ['assign-user']);
        } } }, 'Assign')));
    }
    if (can.transfer) {
      const queue = field('select', 'transfer-queue', { class: 'input', testid: 'transfer-queue', 'aria-label': 'Transfer to queue' },
        QUEUES.filter((q) => q !== t.queue).map((q) => h('option', { value: q }, q + ' queue')));
      const note = field('input', 'transfer-note', { class: 'input', type: 'text', testid: 'transfer-note', placeholder: 'Why (the next person reads this)' });
      forms.push(actionForm('Transfer', [queue, note],
        h('button', { type: 'button', class: 'button', testid: 'transfer-submit', on: { click: (e) => ticketAction('transfer', { queue: queue.value, note: note.value.trim() }, 'Moved to the ' + queue.value + ' queue', e.currentTarget, ['transfer-note', 'transfer-queue']) } }, 'Transfer')));
    }
    if (can.request_approval) {
      const note = field('input', 'approval-note', { class: 'input', type: 'text', testid: 'request-approval-note', placeholder: 'Why it should be approved' });
      forms.push(actionForm('Request approval', [note],
        h('button', { type: 'button', class: 'button', testid: 'request-approval-submit', on: { click: (e) => ticketAction('request-approval', { note: note.value.trim() }, 'Approval requested', e.currentTarget, ['approval-note']) } }, 'Request')));
    }
    if (can.handback) {
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
      forms.push(actionForm('Hand back to the bot', [outcome, hint, cannotApprove, note],
        h('button', { type: 'button', class: 'button button-primary', testid: 'handback-submit', on: { click: (e) => {
          const text = note.value.trim();
          if (outcome.value === 'rejected' && !text) return invalid(note, 'Give the reason for rejecting: the customer hears it.');
          ticketAction('handback', { outcome: outcome.value, note: text }, 'Handed back to the bot (' + outcome.value + ')', e.currentTarget, ['handback-note', 'handback-outcome']);
        } } }, 'Hand back')));
    }
    if (can.close) {
      const resolution = field('input', 'close-resolution', { class: 'input', type: 'text', testid: 'close-resolution', placeholder: 'Resolution (required), e.g. customer left' });
      resolution.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); closeTicket(resolution, null); } });
      forms.push(actionForm('Close without the bot', [resolution],
        h('button', { type: 'button', class: 'button button-danger', testid: 'close-submit', on: { click: (e) => closeTicket(resolution, e.currentTarget) } }, 'Close')));
    }
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

  function closeTicket(input, button) {
    const text = input.value.trim();
    if (!text) return invalid(input, 'Write a resolution before closing.');
    return ticketAction('close', { resolution: text }, 'Closed', button, ['close-resolution']);
  }

  /** Every versioned change: send the version we read; on 409 reload and say so. */
  async function ticketAction(path, extra, done, button, clears = []) {
    const t = state.item;
    if (!t || state.busy) return;
    state.busy = true;
    if (button) button.disabled = true;
    try {
      const data = await api('POST', '/api/tickets/' + enc(t.id) + '/' + path, { version: t.version, ...extra });
      clears.forEach(dropDraft);
      toast(done, 'success');
      if (data && data.gone) {
        // moved to a queue this person doesn't work on: it leaves their screen
        state.selected = null;
        state.item = null;
        renderItem();
      } else {
        await takeItem(data, 'ticket');
      }
      scheduleRefresh({ tickets: true });
    } catch (err) {
      if (err.status === 409) {
        toast('Someone else changed this ticket; reloaded', 'warn');
        scheduleRefresh({ tickets: true });
        await reloadItem();
      } else {
        failed(err);
      }
    } finally {
      state.busy = false;
      if (button && button.isConnected) button.disabled = false;
    }
  }

  const sending = new Set(); // "ticket:<id>:reply" while that text is on its way

  /** Replies and notes are not versioned: they add to the conversation. */
  async function postText(path, name, input, emptyMessage, fromKey) {
    const t = state.item;
    const text = input.value.trim();
    if (!t) return;
    if (!text) {
      if (!fromKey) invalid(input, emptyMessage);
      return;
    }
    const key = itemKey() + ':' + name;
    if (sending.has(key)) return;
    sending.add(key);
    try {
      const data = await api('POST', '/api/tickets/' + enc(t.id) + '/' + path, { text });
      // Keep anything typed while it was sending.
      if ((drafts.get(key) || '').trim() === text) drafts.delete(key);
      if (input.isConnected && input.value.trim() === text) input.value = '';
      await takeItem(data, 'ticket');
      scheduleRefresh({ tickets: true });
    } catch (err) {
      if (err.status === 409) {
        toast('Someone else changed this ticket; reloaded', 'warn');
        await reloadItem();
      } else {
        failed(err);
      }
    } finally {
      sending.delete(key);
    }
  }

  const sendReply = (input, fromKey) => postText('reply', 'reply', input, 'Write a reply first.', fromKey);
  const sendNote = (input, fromKey) => postText('notes', 'note', input, 'Write the note first.', fromKey);

  async function retryMessage(m, button) {
    button.disabled = true;
    try {
      const data = await api('POST', '/api/messages/' + enc(m.id) + '/retry', {});
      toast('Sending again', 'info');
      await takeItem(data && data.messages ? data : null, 'ticket');
    } catch (err) {
      failed(err);
      if (err.status === 409) await reloadItem();
    } finally {
      if (button.isConnected) button.disabled = false;
    }
  }

  // ---------------------------------------------------------------- approval view

  function renderApproval(a, main, side) {
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
            renderItem();
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

  async function approvalAction(path, extra, done, button, clears = []) {
    const a = state.item;
    if (!a || state.busy) return;
    state.busy = true;
    if (button) button.disabled = true;
    try {
      const data = await api('POST', '/api/approvals/' + enc(a.id) + '/' + path, { version: a.version, ...extra });
      clears.forEach(dropDraft);
      uiFor(itemKey()).rejectOpen = false;
      toast(done, 'success');
      await takeItem(data && data.status ? data : null, 'approval');
      scheduleRefresh({ approvals: true, tickets: true });
    } catch (err) {
      if (err.status === 409) {
        toast('Someone else changed this approval; reloaded', 'warn');
        scheduleRefresh({ approvals: true });
        await reloadItem();
      } else {
        failed(err);
      }
    } finally {
      state.busy = false;
      if (button && button.isConnected) button.disabled = false;
    }
  }

  // ---------------------------------------------------------------- canned replies

  const canned = { target: null, index: 0, filter: '' };

  async function openCanned(textarea) {
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

  function closeCanned(refocus) {
    const pop = document.getElementById('canned-popover');
    if (pop.hidden) return;
    pop.hidden = true;
    clear(pop);
    if (refocus && canned.target && canned.target.isConnected) canned.target.focus();
  }

  document.addEventListener('mousedown', (e) => {
    const pop = document.getElementById('canned-popover');
    if (!pop.hidden && !pop.contains(e.target) && !(e.target.closest && e.target.closest('[data-testid="canned-button"]'))) closeCanned(false);
  });

  // ---------------------------------------------------------------- live updates

  const live = { ws: null, attempt: 0, pingTimer: null, retryTimer: null, pollTimer: null, waitingPong: false, refused: false };

  function setLive(stateName) {
    const el = document.getElementById('live-indicator');
    if (!el) return;
    el.dataset.state = stateName;
    el.textContent = stateName;
    el.title = { live: 'Live: changes appear as they happen', reconnecting: 'Reconnecting: the list refreshes every 20 seconds meanwhile',
      connecting: 'Connecting', offline: 'Not updating' }[stateName] || stateName;
  }

  function connect() {
    if (signedOut || live.refused) return;
    clearTimeout(live.retryTimer);
    setLive(live.attempt ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new WebSocket((location.protocol === 'https:' ? 'wss' : 'ws') + '://' + location.host + '/ws');
    } catch (err) {
      reconnectLater();
      return;
    }
    live.ws = ws;
    let ready = false;
    ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'hello', csrf: CSRF })));
    ws.addEventListener('message', (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch (err) { return; }
      if (!msg || typeof msg !== 'object') return;
      if (msg.type === 'ready') {
        ready = true;
        live.attempt = 0;
        setLive('live');
        stopPolling();
        startPing(ws);
        refreshAll(); // catch up on anything missed while we were not listening
      } else if (msg.type === 'pong') {
        live.waitingPong = false;
      } else if (msg.type === 'ticket') {
        const open = state.selected && ((state.selected.type === 'ticket' && state.selected.id === msg.id));
        scheduleRefresh({ tickets: true, item: open });
      } else if (msg.type === 'approval') {
        const open = state.selected && ((state.selected.type === 'approval' && state.selected.id === msg.id)
          || (state.selected.type === 'ticket' && state.item && state.item.approval && state.item.approval.id === msg.id));
        scheduleRefresh({ approvals: true, item: open });
      } else if (msg.type === 'error') {
        console.warn('inbox websocket:', msg.error);
      }
    });
    ws.addEventListener('close', (event) => {
      if (live.ws !== ws) return;
      live.ws = null;
      stopPing();
      if (!ready) {
        // Closed before "ready" (4401, or an upgrade refused with 401): the API says whether
        // the session is over; if it is, sessionEnded() stops the reconnecting.
        api('GET', '/api/tickets?state=active').catch(() => {});
      }
      if (event.code === 4403) {
        live.refused = true;
        setLive('offline');
        showBanner('Live updates were refused (this page is out of date or opened from another address).', 'Reload', location.pathname + location.hash);
        startPolling();
        return;
      }
      reconnectLater();
    });
  }

  function reconnectLater() {
    setLive('reconnecting');
    startPolling();
    const delay = Math.min(30000, 1000 * 2 ** live.attempt) * (0.6 + Math.random() * 0.4);
    live.attempt = Math.min(live.attempt + 1, 6);
    clearTimeout(live.retryTimer);
    live.retryTimer = setTimeout(connect, delay);
  }

  function startPing(ws) {
    stopPing();
    live.waitingPong = false;
    live.pingTimer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (live.waitingPong) { // no answer to the last ping: the connection is dead
        ws.close();
        return;
      }
      live.waitingPong = true;
      ws.send(JSON.stringify({ type: 'ping' }));
    }, 25000);
  }

  function stopPing() {
    clearInterval(live.pingTimer);
    live.pingTimer = null;
  }

  function startPolling() {
    if (live.pollTimer) return;
    live.pollTimer = setInterval(() => { if (!signedOut) refreshAll(); }, 20000);
  }

  function stopPolling() {
    clearInterval(live.pollTimer);
    live.pollTimer = null;
  }

  window.addEventListener('online', () => {
    if (!live.ws && !live.refused) {
      live.attempt = 0;
      connect();
    }
  });

  // ---------------------------------------------------------------- keyboard

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

  function toggleHelp(show) {
    const help = document.getElementById('help');
    help.hidden = !(show ?? help.hidden);
    if (!help.hidden) document.getElementById('help-close').focus();
  }

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

  // ---------------------------------------------------------------- start

  function start() {
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
})();
