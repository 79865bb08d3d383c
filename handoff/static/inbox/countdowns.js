/* SLA and approval countdowns and waiting times: drawn once as [data-due] / [data-since], ticked every second. */

import { serverNow } from './clock.js';
import { h, icon } from './dom.js';
import { fmtDur, fmtFull, fmtLeft, parseTime } from './format.js';

/** Seconds until an SLA is due (negative once it is overdue; Infinity without one). */
export function slaLeft(sla) {
  if (!sla) return Infinity;
  const due = parseTime(sla.due_at);
  return due === null ? (sla.seconds_left ?? Infinity) : Math.round((due - serverNow()) / 1000);
}

export function slaBadge(sla) {
  const due = parseTime(sla.due_at);
  return h('span', {
    class: 'sla', testid: 'sla', title: (sla.kind === 'claim' ? 'Claim' : 'Reply') + ' due ' + fmtFull(sla.due_at),
    data: { due: due === null ? null : due, prefix: (sla.kind || 'reply') + ' in ' },
  }, icon('clock'), h('span', { class: 'sla-text' }, ''));
}

export function dueBadge(dueAt, secondsLeft, prefix) {
  const due = parseTime(dueAt) ?? (typeof secondsLeft === 'number' ? serverNow() + secondsLeft * 1000 : null);
  if (due === null) return h('span');
  return h('span', { class: 'sla', testid: 'due', title: 'Due ' + fmtFull(new Date(due).toISOString()), data: { due, prefix } },
    icon('clock'), h('span', { class: 'sla-text' }, ''));
}

/** Every second: countdowns from [data-due], elapsed times from [data-since]. */
export function updateTimers(root) {
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
