/* Building the page: every piece of data goes in through textContent or attributes, never innerHTML. */

/** h('div', {class, testid, data: {...}, on: {...}, ...attrs}, ...children): text only. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  appendAll(el, children);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'testid') el.dataset.testid = value;
      else if (key === 'data') Object.entries(value).forEach(([k, v]) => { if (v !== null && v !== undefined) el.dataset[k] = String(v); });
      else if (key === 'on') Object.entries(value).forEach(([ev, fn]) => el.addEventListener(ev, fn));
      else if (key === 'text') el.textContent = value;
      else if (key === 'value' || key === 'disabled' || key === 'checked' || key === 'selected' || key === 'hidden') el[key] = value;
      else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  return el;
}

/** Append children (nested arrays flattened; null, undefined and false skipped; anything else as text). */
export function appendAll(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) appendAll(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const ICONS = {
  clock: [['circle', { cx: 8, cy: 8, r: 6.25 }], ['path', { d: 'M8 4.5V8l2.5 1.5' }]],
  tick: [['path', { d: 'M3 8.5l3 3 7-7' }]],
  cross: [['path', { d: 'M4 4l8 8M12 4l-8 8' }]],
  record: [['path', { d: 'M4 2.5h6l2.5 2.5v8.5h-8.5z' }], ['path', { d: 'M6 8h4M6 10.5h4' }]],
  lock: [['rect', { x: 3.5, y: 7, width: 9, height: 6.5, rx: 1 }], ['path', { d: 'M5.5 7V5a2.5 2.5 0 015 0v2' }]],
};

/** A 16x16 line icon drawn in the text colour (no image files, nothing fetched). */
export function icon(name) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('class', 'icon icon-' + name);
  svg.setAttribute('aria-hidden', 'true');
  for (const [tag, attrs] of ICONS[name]) {
    const part = document.createElementNS(SVG_NS, tag);
    Object.entries(attrs).forEach(([k, v]) => part.setAttribute(k, String(v)));
    svg.append(part);
  }
  return svg;
}
