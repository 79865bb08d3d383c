/* How people are named on the page: customers by name, colleagues by name, the reader as "you". */

import { USER } from './session.js';
import { state } from './store.js';

export function customerName(item) {
  return (item.customer && item.customer.name) || item.contact || item.conversation_id || 'Unknown customer';
}

export function firstName(item) {
  const name = item && item.customer && item.customer.name;
  return name ? name.trim().split(/\s+/)[0] : 'there';
}

export function userLabel(username) {
  if (!username) return '';
  if (username === USER.username) return 'you';
  const found = (state.users || []).find((u) => u.username === username);
  return found ? found.name : username;
}
