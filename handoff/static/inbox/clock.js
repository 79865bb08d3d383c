/* The server's clock as the page reads it: countdowns agree with the server even when this computer's clock is off. */

import { fmtDur, parseTime } from './format.js';

let offset = 0; // server time minus our time, in ms

export const serverNow = () => Date.now() + offset;

/** Line our clock up with the server's from an item's due time and seconds left. */
export function learnClock(item, at) {
  const due = item.sla ? item.sla : item;
  const dueMs = parseTime(due && due.due_at);
  if (dueMs !== null && typeof due.seconds_left === 'number') {
    offset = dueMs - due.seconds_left * 1000 - at;
  }
}

/** Waiting time ticks from when we read it, whatever the two clocks say. */
export function stamp(item) {
  if (item && typeof item === 'object') item._since = serverNow() - (item.waiting_seconds || 0) * 1000;
  return item;
}

export function ago(iso) {
  const ms = parseTime(iso);
  if (ms === null) return '';
  return fmtDur((serverNow() - ms) / 1000) + ' ago';
}
