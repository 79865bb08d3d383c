/* The small labels for a priority and a status, the same in the list, the case and the evidence. */

import { h } from './dom.js';

export function priorityBadge(priority) {
  return h('span', { class: 'prio prio-' + (priority || 'normal'), data: { priority } }, priority || 'normal');
}

export function statusPill(status) {
  return h('span', { class: 'status status-' + status }, status);
}
