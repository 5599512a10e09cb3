// "#/bookings": the signed-in user's bookings, newest first, with cancelling.
import { cancelBooking, getEvent, listBookings } from '../api.js';
import { h } from '../dom.js';
import { count, dateTime, money } from '../format.js';
import { seatLabel } from '../seatmap.js';
import { pager, setTitle, showError, showMessage } from '../ui.js';

const PAGE_SIZE = 20;

/** A cache for one visit of the page: event id → Promise of the event, or of null when it was deleted. */
function eventCache() {
  const events = new Map();
  return (id) => {
    if (!events.has(id)) events.set(id, getEvent(id).catch((err) => (err.code === 'event_not_found' ? null : Promise.reject(err))));
    return events.get(id);
  };
}

function eventName(booking, eventOf) {
  const name = h('span', { class: 'muted' }, 'Loading…');
  eventOf(booking.event_id).then(
    (event) => name.replaceWith(event ? h('a', { href: `#/events/${event.id}` }, event.name) : h('span', { class: 'muted' }, 'deleted event')),
    () => (name.textContent = `Event #${booking.event_id}`),
  );
  return name;
}

function bookingRow(booking, eventOf) {
  const row = h(
    'article',
    { class: 'card list-row', 'data-testid': 'booking-row', 'data-booking-id': booking.id },
    h(
      'div',
      { class: 'stack' },
      h('h3', { class: 'row' }, eventName(booking, eventOf), h('span', { class: `badge badge-${booking.status}` }, booking.status)),
      h('div', {}, booking.seats.map(seatLabel).join(', ')),
      h(
        'div',
        { class: 'muted small' },
        `${money(booking.total_cents)} · booked ${dateTime(booking.created_at)}`,
        booking.cancelled_at && ` · cancelled ${dateTime(booking.cancelled_at)}`,
      ),
    ),
    h(
      'div',
      { class: 'actions' },
      booking.status === 'confirmed' &&
        h('button', { class: 'btn btn-danger btn-sm', type: 'button', 'data-testid': 'cancel-booking', onclick: () => cancel(booking, row, eventOf) }, 'Cancel'),
    ),
  );
  return row;
}

async function cancel(booking, row, eventOf) {
  const what = `${count(booking.seats.length, 'seat')}, ${money(booking.total_cents)}`;
  if (!confirm(`Cancel booking #${booking.id} (${what})? Its seats will be released.`)) return;
  const button = row.querySelector('[data-testid="cancel-booking"]');
  button.disabled = true;
  try {
    row.replaceWith(bookingRow(await cancelBooking(booking.id), eventOf));
    showMessage(`Booking #${booking.id} is cancelled.`, 'success');
  } catch (err) {
    button.disabled = false;
    showError(err);
  }
}

export default async function bookingsView(root, { signal }) {
  setTitle('My bookings');
  const list = h('div', { class: 'list' });
  const empty = h('p', { class: 'muted', hidden: true }, 'You have no bookings yet. ', h('a', { href: '#/' }, 'Find an event'));
  const more = h('button', { class: 'btn', type: 'button', 'data-testid': 'more', hidden: true }, 'More bookings');
  root.append(h('div', { class: 'stack' }, h('h1', {}, 'My bookings'), list, empty, h('div', { class: 'center' }, more)));

  const eventOf = eventCache();
  const load = pager({
    list,
    more,
    empty,
    fetchPage: async (cursor) => {
      const page = await listBookings({ limit: PAGE_SIZE, cursor }, signal);
      return { items: page.bookings.map((booking) => bookingRow(booking, eventOf)), next_cursor: page.next_cursor };
    },
  });
  await load();
}
