// Small inline-SVG charts. Horizontal positions are percentages of the
// chart's width, so a chart fills any container without measuring it.
import { nodes } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const MAX_LABEL = 48;

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) if (value != null) el.setAttribute(key, value);
  el.append(...nodes(children));
  return el;
}

/** The next round number (1, 2 or 5 × 10^n) at or above `max`. */
function niceCeiling(max) {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 5, 10].find((s) => s * power >= max);
  return step * power;
}

const shorten = (text) => (text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text);

/**
 * Vertical bars, one per point ({label, value}), on a scale from 0 to a
 * round maximum. `format` writes a value; `axisFormat` the axis' top value.
 */
export function columnChart(points, { title, format, axisFormat = format }) {
  const height = 220;
  const top = 20;
  const bottom = 26;
  const left = 10; // % of the width kept for the axis labels
  const plot = height - top - bottom;
  const max = niceCeiling(Math.max(...points.map((p) => p.value)));
  const slot = (100 - left) / points.length;
  const labelEvery = Math.ceil(points.length / 8);
  const gridLine = (fraction, label) => {
    const y = top + plot * (1 - fraction);
    return [svg('line', { class: 'grid-line', x1: '0', x2: '100%', y1: y, y2: y }), label && svg('text', { x: 0, y: y - 4 }, label)];
  };
  return svg(
    'svg',
    { class: 'chart', width: '100%', height, role: 'img', 'aria-label': title },
    gridLine(1, axisFormat(max)),
    gridLine(0.5),
    gridLine(0, axisFormat(0)),
    points.map((p, i) => {
      const barHeight = (plot * p.value) / max;
      return svg(
        'rect',
        { class: 'bar', x: `${left + slot * (i + 0.15)}%`, width: `${slot * 0.7}%`, y: top + plot - barHeight, height: barHeight },
        svg('title', {}, `${p.label}: ${format(p.value)}`),
      );
    }),
    points.map(
      (p, i) => i % labelEvery === 0 && svg('text', { x: `${left + slot * (i + 0.5)}%`, y: height - 8, 'text-anchor': 'middle' }, p.label),
    ),
  );
}

/**
 * Horizontal bars, one per item ({label, value}), each named above its bar.
 * The scale runs from 0 to `max` (default: the largest value).
 */
export function barList(items, { title, format, max = Math.max(...items.map((item) => item.value)) }) {
  const row = 46;
  const scale = max > 0 ? max : 1;
  return svg(
    'svg',
    { class: 'chart', width: '100%', height: items.length * row, role: 'img', 'aria-label': title },
    items.map((item, i) => {
      const y = i * row;
      const width = 78 * Math.min(item.value / scale, 1);
      return [
        svg('text', { class: 'strong', x: 0, y: y + 14 }, shorten(item.label)),
        svg('rect', { class: 'track', x: 0, y: y + 21, width: '78%', height: 14, rx: 3 }),
        svg('rect', { class: 'bar', x: 0, y: y + 21, width: `${width}%`, height: 14, rx: 3 }),
        svg('text', { x: '80%', y: y + 32 }, format(item.value)),
      ];
    }),
  );
}
