/* Words and times as people read them; pure functions of their arguments. */

export const enc = encodeURIComponent;
export const capitalize = (text) => String(text || '').charAt(0).toUpperCase() + String(text || '').slice(1);
export const humanize = (code) => String(code || '').replace(/[_:]+/g, ' ').trim();

export function fmtDur(sec) {
  sec = Math.max(0, Math.round(sec));
  if (sec < 60) return sec + 's';
  const m = Math.floor(sec / 60);
  if (m < 60) return m + 'm';
  const hr = Math.floor(m / 60);
  if (hr < 24) return hr + 'h ' + (m % 60) + 'm';
  const d = Math.floor(hr / 24);
  return d + 'd ' + (hr % 24) + 'h';
}

/** Seconds left, precise under an hour (4:05), coarse above. */
export function fmtLeft(sec) {
  if (sec < 3600) {
    const m = Math.floor(sec / 60);
    return m + ':' + String(sec % 60).padStart(2, '0');
  }
  return fmtDur(sec);
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const shortDateFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** Milliseconds since the epoch, or null when there is no time or it cannot be read. */
export function parseTime(iso) {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(ms) ? null : ms;
}

/** The time alone for today, the day and time otherwise. */
export function fmtWhen(iso) {
  const ms = parseTime(iso);
  if (ms === null) return '';
  const d = new Date(ms);
  return d.toDateString() === new Date().toDateString() ? timeFmt.format(d) : dateTimeFmt.format(d);
}

/** A calendar day ("2024-05-03") as "3 May", whatever the reader's time zone. */
export function shortDate(day) {
  const ms = parseTime(day);
  return ms === null ? String(day || '') : shortDateFmt.format(new Date(ms));
}

export function fmtFull(iso) {
  const ms = parseTime(iso);
  return ms === null ? '' : fullFmt.format(new Date(ms));
}

const CHANNELS = { webchat: 'Web chat', socketio: 'Web chat', rest: 'REST (test)', twilio: 'SMS', sms: 'SMS', whatsapp: 'WhatsApp', voice: 'Voice' };
/** The channels a person may pick for one reply (handoff/domain/tickets.py REPLY_CHANNELS). */
export const REPLY_CHANNELS = ['webchat', 'sms', 'whatsapp'];
export const channelLabel = (c) => CHANNELS[c] || humanize(c) || 'unknown channel';

/** The mood word the server gives (bands in actions/domain/staff_words.py), as a colour class. */
const MOOD_CLASS = { angry: 'negative', upset: 'negative', calm: 'neutral', happy: 'positive' };
export const moodClass = (mood) => MOOD_CLASS[mood] || 'neutral';
