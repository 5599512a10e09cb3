// Element building without innerHTML: every string becomes a text node, so
// names and venues typed by users can never inject markup.

const PROPERTIES = new Set(['value', 'checked']);

/**
 * h('a', {href: '#/', class: 'brand', onclick}, 'Evently', child, [more])
 * Attributes whose value is null, undefined or false are left out; `on*`
 * functions become listeners; `value`/`checked` are set as properties.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (PROPERTIES.has(key)) el[key] = value;
    // Through the CSSOM: the Content-Security-Policy refuses style attributes.
    else if (key === 'style') el.style.cssText = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  el.append(...nodes(children));
  return el;
}

/** Flattens children, dropping null/false, so callers can write `cond && h(...)`. */
export function nodes(children) {
  return children.flat(Infinity).filter((c) => c != null && c !== false);
}
