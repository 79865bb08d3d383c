/* The client of the inbox API (handoff/API.md): JSON both ways, the CSRF token on every change. */

import { CSRF, sessionEnded } from './session.js';

/** A refused or failed call: `status` is the HTTP status (0 if the server was not reached). */
class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The answer's JSON, or an ApiError carrying the server's own message ({"error": ...}). */
export async function api(method, path, body) {
  const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (method !== 'GET') {
    opts.headers['Content-Type'] = 'application/json';
    opts.headers['X-CSRF-Token'] = CSRF;
    opts.body = JSON.stringify(body || {});
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (err) {
    throw new ApiError(0, 'Could not reach the server: check your connection and try again.');
  }
  if (res.redirected && new URL(res.url).pathname === '/login') {
    sessionEnded();
    throw new ApiError(401, 'You are signed out: sign in again.');
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (err) {
    data = null;
  }
  if (res.status === 401) sessionEnded();
  if (!res.ok) {
    const message = data && data.error ? data.error : `The server answered ${res.status} ${res.statusText || ''}`.trim();
    throw new ApiError(res.status, message);
  }
  return data;
}
