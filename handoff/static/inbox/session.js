/* Who signed in (the page carries it), the session's CSRF token, and noticing the session has ended. */

import { setLive, showBanner } from './notices.js';

function readUser() {
  const node = document.getElementById('inbox-user');
  try {
    return JSON.parse(node ? node.textContent : '{}') || {};
  } catch (err) {
    return {};
  }
}

export const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
export const USER = readUser();
export const SEES_APPROVALS = ['senior', 'manager', 'admin'].includes(USER.role);
export const ASSIGNS = ['senior', 'manager', 'admin'].includes(USER.role);

let signedOut = false;

export const isSignedOut = () => signedOut;

/** Say so once, and stop the live updates: nothing the page shows is current any more. */
export function sessionEnded() {
  if (signedOut) return;
  signedOut = true;
  showBanner('Your session has ended, so the inbox is not updating.', 'Sign in again', '/login');
  setLive('offline');
}
