/* What the page holds: the lists, the open item, what the person picked; and how to ask for a redraw.
 *
 * Modules that change the state call redrawList() / redrawItem(); the app says which views draw
 * them (setPainters), so the loaders and actions need not import the views that import them.
 */

export const QUEUES = ['agent', 'senior', 'manager'];

export const state = {
  view: 'tickets', // tickets | approvals | closed
  queue: 'all',
  mine: false,
  approvalState: 'pending',
  search: '',
  closedQuery: {}, // the Closed tab's search (customer, ref, text, closed_from, closed_to), as sent
  closedNext: null, // the cursor of the page after the closed tickets read so far; null: none
  closedPages: 0, // pages of the closed list read since its first page
  loadingOlder: false,
  lists: { active: null, closed: null, pending: null, decided: null },
  listErrors: {},
  stale: {},
  selected: null, // {type: 'ticket'|'approval', id}
  item: null,
  itemError: null,
  renderedKey: null,
  canned: null,
  users: null,
  busy: false,
};

const ui = new Map(); // per item: {rejectOpen}

export const itemKey = () => (state.selected ? state.selected.type + ':' + state.selected.id : '');
export const uiFor = (key) => { if (!ui.has(key)) ui.set(key, {}); return ui.get(key); };

export function isSelected(type, id) {
  return state.selected && state.selected.type === type && state.selected.id === id;
}

/** Which of state.lists the list pane shows. */
export function listKey() {
  if (state.view === 'approvals') return state.approvalState === 'decided' ? 'decided' : 'pending';
  return state.view === 'closed' ? 'closed' : 'active';
}

const painters = { list: () => {}, item: () => {} };

export function setPainters({ list, item }) {
  painters.list = list;
  painters.item = item;
}

export const redrawList = () => painters.list();
export const redrawItem = () => painters.item();
