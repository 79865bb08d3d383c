/* What the page tells the person outside the case they are working on: toasts, the banner, the live indicator. */

import { appendAll, clear, h } from './dom.js';

let toastTimer = null;

/**
 * One toast at a time (the newest wins), so there is exactly one [data-testid=toast] and its
 * text is the message. It never takes clicks (the page under it stays usable); Esc dismisses.
 */
export function toast(message, kind = 'error') {
  const slot = document.getElementById('toast-slot');
  clearTimeout(toastTimer);
  const node = h('div', { class: 'toast toast-' + kind, testid: 'toast', data: { kind }, role: kind === 'error' ? 'alert' : 'status' }, message);
  clear(slot).append(node);
  const ms = kind === 'error' ? 12000 : kind === 'warn' ? 8000 : 3500;
  toastTimer = setTimeout(() => { if (node.parentNode) node.remove(); }, ms);
}

/** Remove the toast; false if there was none (so Esc can mean something else). */
export function dismissToast() {
  const slot = document.getElementById('toast-slot');
  if (!slot.firstChild) return false;
  clear(slot);
  return true;
}

export function failed(err) {
  toast(err && err.message ? err.message : String(err), 'error');
}

/** The banner above the page, for what stays true until the person acts (a link says what to do). */
export function showBanner(message, linkText, href) {
  const banner = document.getElementById('banner');
  appendAll(clear(banner), [h('span', null, message), linkText ? h('a', { href }, linkText) : null]);
  banner.hidden = false;
}

const LIVE_TITLES = {
  live: 'Live: changes appear as they happen', reconnecting: 'Reconnecting: the list refreshes every 20 seconds meanwhile',
  connecting: 'Connecting', offline: 'Not updating',
};

/** The top bar's indicator: live, connecting, reconnecting or offline. */
export function setLive(stateName) {
  const el = document.getElementById('live-indicator');
  if (!el) return;
  el.dataset.state = stateName;
  el.textContent = stateName;
  el.title = LIVE_TITLES[stateName] || stateName;
}
