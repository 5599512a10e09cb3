// "#/bookings": the signed-in user's bookings, newest first, with cancelling;
// above them, their places on waitlists (waiting, or with an offer to confirm).
import { cancelBooking, getEvent, getWaitlistEntry, leaveWaitlist, listBookings } from '../api.js';
import { h } from '../dom.js';
import { count, dateTime, money } from '../format.js';
import { seatLabel } from '../seatmap.js';
import { pager, setTitle, showError, showMessage } from '../ui.js';
import { entryText, forgetEntry, rememberedEntries } from './waitlist.js';

const PAGE_SIZE = 20;

/** A cache for one visit of the page: event id → Promise of the event, or of null when it was deleted. */
function eventCache() {
  const events = new Map();
  return (id) => {
    if (!events.has(id)) events.set(id, getEvent(id).catch((err) => (err.code === 'event_not_found' ? null : Promise.reject(err))));
    return events.get(id);
  };
}

/** The name of the event of a booking or waitlist entry, linked to its page. */
function eventName({ event_id: eventId }, eventOf) {
  const name = h('span', { class: 'muted' }, 'Loading…');
  eventOf(eventId).then(
    (event) => name.replaceWith(event ? h('a', { href: `#/events/${event.id}` }, event.name) : h('span', { class: 'muted' }, 'deleted event')),
    () => (name.textContent = `Event #${eventId}`),
  );
  return name;
}

function entryRow(entry, eventOf) {
  const row = h(
    'article',
    { class: 'card list-row', 'data-testid': 'waitlist-row', 'data-entry-id': entry.id, 'data-status': entry.status },
    h(
      'div',
      { class: 'stack' },
      h('h3', { class: 'row' }, eventName(entry, eventOf), h('span', { class: `badge badge-${entry.status}` }, entry.status)),
      h('div', {}, entryText(entry)),
      h(
        'div',
        { class: 'muted small' },
        `Joined ${dateTime(entry.created_at)}`,
        entry.status === 'offered' && ` · offer held until ${dateTime(entry.hold.expires_at)}`,
      ),
    ),
    h(
      'div',
      { class: 'actions' },
      entry.status === 'offered' && h('a', { class: 'btn btn-primary btn-sm', href: `#/events/${entry.event_id}`, 'data-testid': 'see-offer' }, 'See the offer'),
      h('button', { class: 'btn btn-sm', type: 'button', 'data-testid': 'leave-waitlist', onclick: () => leave(entry, row) }, 'Leave'),
    ),
  );
  return row;
}

async function leave(entry, row) {
  const what = entry.status === 'offered' ? ' The seats offered to you go to the next in line.' : '';
  if (!confirm(`Leave the waitlist?${what}`)) return;
  const button = row.querySelector('[data-testid="leave-waitlist"]');
  button.disabled = true;
  try {
    await leaveWaitlist(entry.id);
    forgetEntry(entry.id);
    const section = row.closest('section');
    row.remove();
    section.hidden = !section.querySelector('[data-testid="waitlist-row"]');
    showMessage('You left the waitlist.', 'success');
  } catch (err) {
    button.disabled = false;
    showError(err);
  }
}

/**
 * The remembered entries that are still waiting or offered, newest first;
 * the rest (over, or gone) are forgotten here.
 */
async function liveEntries(signal) {
  const read = await Promise.all(
    rememberedEntries()
      .reverse()
      .map(({ entryId }) =>
        getWaitlistEntry(entryId, signal).catch((err) => {
          if (err.code === 'waitlist_entry_not_found') return null;
          throw err;
        }).then((entry) => ({ entryId, entry })),
      ),
  );
  for (const { entryId, entry } of read) if (!entry || !['waiting', 'offered'].includes(entry.status)) forgetEntry(entryId);
  return read.map(({ entry }) => entry).filter((entry) => entry && ['waiting', 'offered'].includes(entry.status));
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
  const waiting = h('div', { class: 'list', 'data-testid': 'waitlist-entries' });
  const waitlist = h('section', { class: 'stack', 'aria-label': 'Waitlist', hidden: true }, h('h2', {}, 'On the waitlist'), waiting);
  root.append(h('div', { class: 'stack' }, h('h1', {}, 'My bookings'), waitlist, list, empty, h('div', { class: 'center' }, more)));

  const eventOf = eventCache();
  liveEntries(signal).then(
    (entries) => {
      waiting.replaceChildren(...entries.map((entry) => entryRow(entry, eventOf)));
      waitlist.hidden = entries.length === 0;
    },
    showError,
  );
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
