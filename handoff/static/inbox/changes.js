/* A change to the open ticket or approval, sent with the version the page read.
 *
 * Two people acting at once cannot overwrite each other: the server refuses a change made on an
 * older version (409), and the page then reloads the item and says so instead of failing.
 */

import { api } from './api.js';
import { dropDraft } from './fields.js';
import { enc } from './format.js';
import { reloadItem, scheduleRefresh } from './loading.js';
import { failed, toast } from './notices.js';
import { state } from './store.js';

/** POST `path` on the open `kind` ('ticket' or 'approval'); `taken(data)` runs once the server took it. */
export async function sendChange(kind, path, extra, button, clears, taken) {
  const item = state.item;
  if (!item || state.busy) return;
  state.busy = true;
  if (button) button.disabled = true;
  try {
    const data = await api('POST', '/api/' + kind + 's/' + enc(item.id) + '/' + path, { version: item.version, ...extra });
    clears.forEach(dropDraft);
    await taken(data);
  } catch (err) {
    if (err.status === 409) {
      toast('Someone else changed this ' + kind + '; reloaded', 'warn');
      scheduleRefresh({ [kind + 's']: true });
      await reloadItem();
    } else {
      failed(err);
    }
  } finally {
    state.busy = false;
    if (button && button.isConnected) button.disabled = false;
  }
}
