/* Live updates over the inbox websocket (/ws, handoff/API.md): a push names what changed and the page re-reads it.
 *
 * Pings find a dead connection; it reconnects with backoff, and polls every 20 seconds meanwhile.
 */

import { api } from './api.js';
import { refreshAll, scheduleRefresh } from './loading.js';
import { setLive, showBanner } from './notices.js';
import { CSRF, isSignedOut } from './session.js';
import { state } from './store.js';

const live = { ws: null, attempt: 0, pingTimer: null, retryTimer: null, pollTimer: null, waitingPong: false, refused: false };

export function connect() {
  if (isSignedOut() || live.refused) return;
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

/** Back on the network: try again at once rather than wait out the backoff. */
export function reconnectWhenOnline() {
  window.addEventListener('online', () => {
    if (!live.ws && !live.refused) {
      live.attempt = 0;
      connect();
    }
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
  live.pollTimer = setInterval(() => { if (!isSignedOut()) refreshAll(); }, 20000);
}

function stopPolling() {
  clearInterval(live.pollTimer);
  live.pollTimer = null;
}
