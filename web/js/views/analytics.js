// "#/admin/analytics?from=&to=&top=": sales figures and charts.
import { analytics } from '../api.js';
import { barList, columnChart } from '../charts.js';
import { h } from '../dom.js';
import { busy, field, showFormError } from '../forms.js';
import { compactMoney, day, money, number, percent } from '../format.js';
import { navigate } from '../router.js';
import { setTitle } from '../ui.js';
import { adminTabs } from './admin-common.js';

const DAY_MS = 86_400_000;

const FIGURES = [
  ['events', 'Events', number],
  ['capacity', 'Capacity', number],
  ['bookings', 'Bookings', number],
  ['confirmed_bookings', 'Confirmed', number],
  ['cancelled_bookings', 'Cancelled', number],
  ['seats_sold', 'Seats sold', number],
  ['revenue_cents', 'Revenue', money],
  ['cancellation_rate', 'Cancellation rate', percent],
  ['utilization', 'Utilization', percent],
];

/** `daily` lists only days with activity; a time axis also needs the quiet days between them. */
function everyDay(daily) {
  if (!daily.length) return [];
  const byDate = new Map(daily.map((d) => [d.date, d]));
  const days = [];
  const last = Date.parse(`${daily.at(-1).date}T00:00:00Z`);
  for (let t = Date.parse(`${daily[0].date}T00:00:00Z`); t <= last; t += DAY_MS) {
    const date = new Date(t).toISOString().slice(0, 10);
    days.push(byDate.get(date) ?? { date, bookings: 0, cancellations: 0, seats_sold: 0, revenue_cents: 0 });
  }
  return days;
}

function chartCard(title, hasData, draw) {
  return h('section', { class: 'card stack' }, h('h3', {}, title), hasData ? draw(title) : h('p', { class: 'muted small' }, 'Nothing in this period.'));
}

function report({ totals, popular_events: popular, daily }) {
  const days = everyDay(daily);
  const perDay = (key) => days.map((d) => ({ label: day(d.date), value: d[key] }));
  const perEvent = (key) => popular.map((e) => ({ label: e.name, value: e[key] }));
  return [
    h(
      'div',
      { class: 'figures' },
      FIGURES.map(([key, label, format]) =>
        h('div', { class: 'card figure', 'data-testid': `figure-${key}` }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, format(totals[key]))),
      ),
    ),
    h(
      'div',
      { class: 'charts' },
      chartCard('Bookings per day', days.length, (title) => columnChart(perDay('bookings'), { title, format: number })),
      chartCard('Revenue per day', days.length, (title) =>
        columnChart(perDay('revenue_cents'), { title, format: money, axisFormat: compactMoney }),
      ),
      chartCard('Top events by seats sold', popular.length, (title) => barList(perEvent('seats_sold'), { title, format: number })),
      chartCard('Utilization of top events', popular.length, (title) => barList(perEvent('utilization'), { title, format: percent, max: 1 })),
    ),
  ];
}

export default async function analyticsView(root, { query, signal }) {
  setTitle('Admin · Analytics');
  const inputs = {
    from: h('input', { name: 'from', type: 'date', value: query.get('from') ?? '' }),
    to: h('input', { name: 'to', type: 'date', value: query.get('to') ?? '' }),
    top: h('input', { name: 'top', type: 'number', min: '1', max: '100', value: query.get('top') ?? '10' }),
  };
  const apply = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Show');
  const form = h(
    'form',
    { class: 'form-grid', novalidate: true },
    field('From (UTC day)', inputs.from),
    field('To (UTC day)', inputs.to),
    field('Top events', inputs.top),
    h('div', { class: 'field' }, h('span', { 'aria-hidden': 'true' }, '\u00a0'), apply),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams(Object.entries(inputs).filter(([, input]) => input.value).map(([key, input]) => [key, input.value]));
    navigate(`/admin/analytics?${params}`);
  });
  const results = h('div', { class: 'stack', 'data-testid': 'analytics', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  root.append(adminTabs('/admin/analytics'), h('div', { class: 'stack' }, h('h1', {}, 'Analytics'), form, results));

  await busy(apply, async () => {
    try {
      results.replaceChildren(...report(await analytics(Object.fromEntries(query), signal)));
    } catch (err) {
      results.replaceChildren();
      showFormError(form, err);
    }
  });
}
