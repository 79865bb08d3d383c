/* "My phone": a person's own number for approval notices, SMS or WhatsApp, on/off duty
 * (POST /api/me/phone), and available by phone for customers' calls (POST /api/me/phone/calls). The server normalises the number and says what is wrong with a bad one.
 * A new number is texted a code; it is kept, with the settings saved with it, once the code is
 * typed back here (POST /api/me/phone/confirm). */

import { api } from './api.js';
import { clear, h } from './dom.js';
import { failed, toast } from './notices.js';

const panel = () => document.getElementById('my-phone');

/** Open the panel with the settings as the server has them. */
export async function openMyPhone() {
  let settings;
  try {
    settings = await api('GET', '/api/me/phone');
  } catch (err) {
    failed(err);
    return;
  }
  show(settings);
  panel().hidden = false;
  document.getElementById(settings.pending ? 'my-phone-code' : 'my-phone-number').focus();
}

function show(settings) {
  const form = document.getElementById('my-phone-form');
  clear(form);
  form.append(...fields(settings));
}

export function closeMyPhone() {
  panel().hidden = true;
}

function fields(settings) {
  const wanted = settings.pending || settings;
  const channel = (value, label) => h('option', { value, selected: wanted.notices_by === value, text: label });
  return [
    settings.refused ? h('p', { class: 'hint', text: `You can't take approval notices: ${settings.refused}.` }) : '',
    h('label', { class: 'field', for: 'my-phone-number' }, 'Phone number',
      h('input', { id: 'my-phone-number', class: 'input', type: 'tel', autocomplete: 'tel',
                   placeholder: '+1 555 010 0101', value: wanted.phone || '' })),
    h('label', { class: 'field', for: 'my-phone-channel' }, 'Notices by',
      h('select', { id: 'my-phone-channel', class: 'input' }, channel('sms', 'SMS'), channel('whatsapp', 'WhatsApp'))),
    h('label', { class: 'field field-inline' },
      h('input', { id: 'my-phone-duty', type: 'checkbox', checked: wanted.on_duty }),
      ' On duty: approval notices to my phone'),
    settings.pending ? confirmation(settings) : '',
    h('p', { class: 'hint', text: 'Reply APPROVE <code> or REJECT <code> <reason> to a notice to decide it.' }),
    calls(settings),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button', text: 'Save' }),
      h('button', { type: 'button', class: 'button button-quiet', text: 'Close', on: { click: closeMyPhone } })),
  ];
}

/** Available by phone: customers' calls handed to people ring the proven number; saved at once. */
function calls(settings) {
  const why = settings.calls_refused ? `You can't take calls: ${settings.calls_refused}.`
    : settings.phone ? `Calls ring ${settings.phone}: press 1 to take one, 2 to pass.`
      : 'Add and confirm your number to take calls.';
  return h('div', { class: 'field' },
    h('label', { class: 'field field-inline' },
      h('input', { id: 'my-phone-calls', type: 'checkbox', testid: 'available-by-phone', checked: settings.available_by_phone,
                   disabled: Boolean(settings.calls_refused) || !settings.phone, on: { change: takeCalls } }),
      ' Available by phone: customers\' calls to my phone'),
    h('p', { class: 'hint', text: why }));
}

async function takeCalls(event) {
  const box = event.currentTarget;
  box.disabled = true;
  try {
    const saved = await api('POST', '/api/me/phone/calls', { available: box.checked });
    box.checked = saved.available_by_phone;
    toast(saved.available_by_phone ? `Available by phone: calls ring ${saved.phone}` : 'Not taking calls', 'success');
  } catch (err) {
    box.checked = !box.checked;
    failed(err);
  } finally {
    box.disabled = false;
  }
}

/** The new number waiting for its code: where the code went, and the box to type it in. */
function confirmation(settings) {
  const kept = settings.phone ? `Until then notices go to ${settings.phone}.` : 'Until then you get no notices.';
  return h('div', { class: 'field' },
    h('p', { class: 'hint', text: `We texted a code to ${settings.pending.phone}: type it here to use that number. ${kept}` }),
    h('label', { class: 'field', for: 'my-phone-code' }, 'Code',
      h('input', { id: 'my-phone-code', class: 'input', inputmode: 'numeric', autocomplete: 'one-time-code' })),
    h('button', { type: 'button', class: 'button', text: 'Confirm', on: { click: confirm } }));
}

async function confirm() {
  try {
    const saved = await api('POST', '/api/me/phone/confirm', { code: document.getElementById('my-phone-code').value });
    toast(saved.on_duty ? `Number confirmed. On duty: notices go to ${saved.phone}` : `Number confirmed: ${saved.phone}`,
      'success');
    closeMyPhone();
  } catch (err) {
    failed(err);
  }
}

async function save(event) {
  event.preventDefault();
  const body = {
    phone: document.getElementById('my-phone-number').value,
    notices_by: document.getElementById('my-phone-channel').value,
    on_duty: document.getElementById('my-phone-duty').checked,
  };
  try {
    const saved = await api('POST', '/api/me/phone', body);
    if (saved.pending && saved.pending.phone !== saved.phone) {
      show(saved);  // a new number: it waits for the code texted to it
      document.getElementById('my-phone-code').focus();
      return;
    }
    toast(saved.on_duty ? `On duty: notices go to ${saved.phone}` : 'Saved: you are off duty', 'success');
    closeMyPhone();
  } catch (err) {
    failed(err);
  }
}

/** Wire the header button and the form once, at start. */
export function setUpMyPhone() {
  document.getElementById('my-phone-button').addEventListener('click', openMyPhone);
  document.getElementById('my-phone-form').addEventListener('submit', save);
  panel().addEventListener('click', (e) => { if (e.target.id === 'my-phone') closeMyPhone(); });
}
