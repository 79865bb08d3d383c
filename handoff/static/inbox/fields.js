/* Text fields whose drafts survive re-renders and switching items, until they are sent; and how a bad one is shown. */

import { h } from './dom.js';
import { toast } from './notices.js';
import { itemKey } from './store.js';

const drafts = new Map(); // "ticket:<id>:<field>" -> text typed but not sent

/** A text field whose content survives re-renders and item switches until it is sent. */
export function field(tag, name, props, ...children) {
  const key = draftKey(name);
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

/** Where the open item's draft of the field `name` is kept. */
export const draftKey = (name) => itemKey() + ':' + name;

export const dropDraft = (name) => drafts.delete(draftKey(name));

/** Forget the draft under `key` if it still says `sent`: anything typed while it was on its way stays. */
export function dropDraftIfSent(key, sent) {
  if ((drafts.get(key) || '').trim() === sent) drafts.delete(key);
}

export function invalid(el, message) {
  if (el) {
    el.setAttribute('aria-invalid', 'true');
    el.focus();
  }
  toast(message, 'error');
}
