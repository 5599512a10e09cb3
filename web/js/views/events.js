// "#/": upcoming events, searchable by name or venue, paged with "More".
import { listEvents } from '../api.js';
import { h } from '../dom.js';
import { count, dateTime, priceRange } from '../format.js';
import { showError, setTitle } from '../ui.js';

const PAGE_SIZE = 24;
const SEARCH_DELAY_MS = 300;

function eventCard(event) {
  return h(
    'a',
    { class: 'card event-card', href: `#/events/${event.id}`, 'data-testid': 'event-card' },
    h('h3', {}, event.name),
    h('div', { class: 'muted' }, event.venue),
    h('time', { datetime: event.starts_at }, dateTime(event.starts_at)),
    h(
      'div',
      { class: 'meta' },
      h('strong', {}, priceRange(event.min_price_cents, event.max_price_cents)),
      h('span', { class: 'muted', 'data-testid': 'event-availability' }, event.available_seats > 0 ? `${count(event.available_seats, 'seat')} left` : 'Sold out · waitlist'),
    ),
    event.admission && h('div', { class: 'muted small', 'data-testid': 'event-queue' }, `On sale through a queue from ${dateTime(event.admission.opens_at)}`),
  );
}

export default function eventsView(root, { query, signal }) {
  setTitle('Upcoming events');
  const search = h('input', {
    class: 'input',
    type: 'search',
    placeholder: 'Search by event or venue',
    'aria-label': 'Search events by name or venue',
    'data-testid': 'search',
    value: query.get('q') ?? '',
  });
  const grid = h('div', { class: 'grid', 'aria-live': 'polite' });
  const status = h('p', { class: 'muted center' });
  const more = h('button', { class: 'btn', type: 'button', 'data-testid': 'more', hidden: true }, 'More events');
  const form = h('form', { role: 'search' }, search);
  root.append(h('div', { class: 'stack' }, h('h1', {}, 'Upcoming events'), form, grid, status, h('div', { class: 'center' }, more)));

  // One listing = one search text and one `from`, so that its cursors stay consistent.
  let listing = null;

  async function fetchPage() {
    const current = listing;
    more.disabled = true;
    try {
      const page = await listEvents({ q: current.q, from: current.from, limit: PAGE_SIZE, cursor: current.cursor }, signal);
      if (current !== listing) return;
      grid.append(...page.events.map(eventCard));
      current.cursor = page.next_cursor;
      more.hidden = !page.next_cursor;
      status.textContent = grid.childElementCount ? '' : current.q ? `No upcoming events match “${current.q}”.` : 'No upcoming events yet.';
    } catch (err) {
      if (current === listing) showError(err);
    } finally {
      more.disabled = false;
    }
  }

  function load() {
    const q = search.value.trim();
    // Keeps the search in the address, so "back" from an event returns to it.
    history.replaceState(null, '', q ? `#/?q=${encodeURIComponent(q)}` : '#/');
    listing = { q, from: new Date().toISOString(), cursor: null };
    grid.replaceChildren();
    status.textContent = 'Loading…';
    more.hidden = true;
    return fetchPage();
  }

  let timer;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(load, SEARCH_DELAY_MS);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(timer);
    load();
  });
  signal.addEventListener('abort', () => clearTimeout(timer));
  more.addEventListener('click', fetchPage);
  return load();
}
