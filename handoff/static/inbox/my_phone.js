/* "My phone": a person's own number for approval notices, SMS or WhatsApp, and on/off duty
 * (POST /api/me/phone). The server normalises the number and says what is wrong with a bad one. */

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
  const form = document.getElementById('my-phone-form');
  clear(form);
  form.append(...fields(settings));
  panel().hidden = false;
  document.getElementById('my-phone-number').focus();
}

export function closeMyPhone() {
  panel().hidden = true;
}

function fields(settings) {
  const channel = (value, label) => h('option', { value, selected: settings.notices_by === value, text: label });
  return [
    h('label', { class: 'field', for: 'my-phone-number' }, 'Phone number',
      h('input', { id: 'my-phone-number', class: 'input', type: 'tel', autocomplete: 'tel',
                   placeholder: '+1 555 010 0101', value: settings.phone || '' })),
    h('label', { class: 'field', for: 'my-phone-channel' }, 'Notices by',
      h('select', { id: 'my-phone-channel', class: 'input' }, channel('sms', 'SMS'), channel('whatsapp', 'WhatsApp'))),
    h('label', { class: 'field field-inline' },
      h('input', { id: 'my-phone-duty', type: 'checkbox', checked: settings.on_duty }),
      ' On duty: approval notices to my phone'),
    h('p', { class: 'hint', text: 'Reply APPROVE <code> or REJECT <code> <reason> to a notice to decide it.' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button', text: 'Save' }),
      h('button', { type: 'button', class: 'button button-quiet', text: 'Close', on: { click: closeMyPhone } })),
  ];
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
    document.getElementById('my-phone-number').value = saved.phone || '';
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
