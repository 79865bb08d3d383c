/* The reply box and the internal-note box under a ticket's conversation.
 *
 * Replies and notes are not versioned: they add to the conversation, so two people writing at
 * once both get through. Enter sends; whatever was typed while a text was on its way is kept.
 */

import { api } from './api.js';
import { openCanned } from './canned.js';
import { h } from './dom.js';
import { draftKey, dropDraftIfSent, field, invalid } from './fields.js';
import { REPLY_CHANNELS, channelLabel, enc } from './format.js';
import { reloadItem, scheduleRefresh, takeItem } from './loading.js';
import { firstName, userLabel } from './names.js';
import { failed, toast } from './notices.js';
import { USER } from './session.js';
import { state } from './store.js';

const sending = new Set(); // "ticket:<id>:reply" while that text is on its way

export function composer(t) {
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
        replyChannel(can.reply, t.reply_channels || REPLY_CHANNELS),
        h('button', { type: 'button', class: 'button button-primary', testid: 'reply-send', disabled: !can.reply, on: { click: () => sendReply(reply) } }, 'Send'))),
    h('div', { class: 'composer-note' },
      note,
      h('button', { type: 'button', class: 'button button-note', testid: 'note-send', disabled: !can.note, on: { click: () => sendNote(note) } }, 'Add note')));
}

/** Where the next reply goes: where the customer is now, or one of the channels they can be reached on. */
function replyChannel(enabled, channels) {
  return h('select', { class: 'input input-compact', testid: 'reply-channel', disabled: !enabled, 'aria-label': 'Send the reply by' },
    h('option', { value: '' }, 'Where they are now'),
    ...channels.map((c) => h('option', { value: c }, 'By ' + channelLabel(c))));
}

/** Post the box's text; `fromKey` (Enter) says nothing when it is empty, a click does. */
async function postText(path, name, input, emptyMessage, fromKey) {
  const t = state.item;
  const text = input.value.trim();
  if (!t) return;
  if (!text) {
    if (!fromKey) invalid(input, emptyMessage);
    return;
  }
  const key = draftKey(name);
  if (sending.has(key)) return;
  sending.add(key);
  try {
    const by = document.querySelector('[data-testid="reply-channel"]');
    const body = path === 'reply' && by && by.value ? { text, channel: by.value } : { text };
    const data = await api('POST', '/api/tickets/' + enc(t.id) + '/' + path, body);
    // Keep anything typed while it was sending.
    dropDraftIfSent(key, text);
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
