// "#/events/:id": event details, the live seat map and booking.
import { createBooking, getEvent, getSeats, newIdempotencyKey } from '../api.js';
import { h } from '../dom.js';
import { count, dateTime, money, number, priceRange } from '../format.js';
import { navigate, notice, signInPath } from '../router.js';
import { BOOKED_COLOUR, SELECTED_COLOUR, SeatMap, seatLabel } from '../seatmap.js';
import { session } from '../session.js';
import { flash, setTitle, showError, showMessage } from '../ui.js';

const MAX_SEATS = 10;
const POLL_MS = 5000;
// A selection waiting for its owner to sign in: {eventId, seatIds}.
const PENDING_KEY = 'evently.pendingSelection';

const sentenceList = (items) =>
  items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

function keepPendingSelection(eventId, seatIds) {
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ eventId, seatIds }));
}

function takePendingSelection(eventId) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null');
  sessionStorage.removeItem(PENDING_KEY);
  return pending?.eventId === eventId ? pending.seatIds : [];
}

function legend(map) {
  const item = (colour, text) => h('span', {}, h('i', { class: 'swatch', style: `background:${colour}` }), text);
  return h(
    'div',
    { class: 'legend', 'aria-label': 'Legend' },
    map.tiers.map((tier) => item(tier.colour, money(tier.price_cents))),
    item(SELECTED_COLOUR, 'Selected'),
    item(BOOKED_COLOUR, 'Booked'),
  );
}

export default async function eventView(root, { params, signal }) {
  const eventId = params.id;
  let event;
  let seatData;
  try {
    [event, seatData] = await Promise.all([getEvent(eventId, signal), getSeats(eventId, null, signal)]);
  } catch (err) {
    if (err.code !== 'event_not_found') throw err;
    setTitle('Event not found');
    root.append(notice('Event not found', 'This event does not exist or has been removed.', h('a', { href: '#/' }, 'See upcoming events')));
    return;
  }
  setTitle(event.name);
  let closed = new Date(event.starts_at) <= new Date();
  let gone = false; // the event was deleted while on this page
  let booking = false; // a booking request is on its way

  const availability = h('span');
  const inspector = h('p', { class: 'muted small', 'aria-live': 'polite' }, 'Click seats to select them, or focus the map and use the arrow keys and Enter.');
  const canvas = h('canvas', {
    tabindex: '0',
    'data-testid': 'seat-map',
    'aria-label': `Seat map for ${event.name}. Arrow keys move between seats; Enter or Space selects.`,
  });
  const scroller = h('div', { class: 'seatmap-scroll' }, canvas);
  const chosen = h('div', { class: 'seats' });
  const total = h('div', { class: 'selection-total', 'data-testid': 'selection-total' });
  const bookButton = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'book' }, 'Book');
  const map = new SeatMap(canvas, {
    maxSelection: MAX_SEATS,
    onChange: showSelection,
    onInspect: (seat) => {
      if (seat) inspector.textContent = `${seatLabel(seat)} · ${money(seat.price_cents)} · ${map.status(seat.id)}`;
    },
    onLimit: () => showMessage(`You can book up to ${MAX_SEATS} seats at a time.`),
  });

  root.append(
    h(
      'div',
      { class: 'stack' },
      h(
        'header',
        { class: 'event-header' },
        h('h1', {}, event.name),
        h(
          'div',
          { class: 'facts' },
          h('span', {}, event.venue),
          h('time', { datetime: event.starts_at }, dateTime(event.starts_at)),
          h('span', {}, priceRange(event.min_price_cents, event.max_price_cents)),
          availability,
        ),
      ),
      event.description && h('p', { class: 'description' }, event.description),
      closed && h('p', { class: 'message', 'data-kind': 'error' }, 'This event has started; its seats can no longer be booked.'),
      scroller,
      inspector,
      h('div', { class: 'selection-bar' }, chosen, total, bookButton),
    ),
  );
  map.setData(seatData.sections, seatData.seats);
  scroller.before(legend(map));
  showAvailability();

  const hook = Object.freeze({ seatAt: (id) => map.seatAt(id), status: (id) => map.status(id) });
  (window.evently ??= {}).seatMap = hook;

  const restored = takePendingSelection(eventId);
  if (restored.length) map.select(restored);
  if (map.selection.length < restored.length) showMessage('Some of the seats you chose were booked meanwhile; please check your selection.');

  function showAvailability() {
    availability.textContent = `${number(map.availableCount)} of ${count(map.seats.length, 'seat')} available`;
  }

  function showSelection() {
    const seats = map.selection;
    const sum = seats.reduce((cents, seat) => cents + seat.price_cents, 0);
    chosen.textContent = seats.length ? seats.map(seatLabel).join(', ') : 'No seats selected';
    total.textContent = `${count(seats.length, 'seat')} · ${money(sum)}`;
    bookButton.disabled = closed || booking || seats.length === 0;
  }

  function reportLost(lost) {
    if (!lost.length) return;
    const labels = sentenceList(lost.map(seatLabel));
    showMessage(`Sorry, ${labels} ${lost.length === 1 ? 'was' : 'were'} just booked by someone else and removed from your selection.`, 'error');
  }

  // Polling: GET the seats with the last ETag every POLL_MS and on window focus; a 304 means no change.
  let etag = seatData.etag;
  let timer = null;
  let polling = false;
  async function refresh() {
    if (polling || gone) return;
    polling = true;
    clearTimeout(timer);
    try {
      const fresh = await getSeats(eventId, etag, signal);
      if (fresh) {
        etag = fresh.etag;
        reportLost(map.update(fresh.seats));
        showAvailability();
      }
    } catch (err) {
      if (err.code === 'event_not_found') {
        gone = closed = true;
        showSelection();
        showMessage('This event has been removed.', 'error');
      }
      // Anything else: the next poll tries again.
    } finally {
      polling = false;
      if (!signal.aborted && !gone) timer = setTimeout(refresh, POLL_MS);
    }
  }
  timer = setTimeout(refresh, POLL_MS);
  window.addEventListener('focus', refresh, { signal });
  signal.addEventListener('abort', () => {
    clearTimeout(timer);
    map.destroy();
    if (window.evently.seatMap === hook) delete window.evently.seatMap;
  });

  // Booking. The key of an attempt whose answer was lost (network failure): retrying
  // the same seats reuses it, so the server books them at most once.
  let unanswered = null;

  async function book() {
    const seats = map.selection;
    const seatIds = seats.map((seat) => seat.id);
    if (!session.token) {
      keepPendingSelection(eventId, seatIds);
      flash('Please sign in to book your seats.');
      navigate(signInPath());
      return;
    }
    const fingerprint = seatIds.join(',');
    const key = unanswered?.fingerprint === fingerprint ? unanswered.key : newIdempotencyKey();
    booking = true;
    showSelection();
    try {
      const result = await createBooking(eventId, seatIds, key);
      unanswered = null;
      map.markBooked(seatIds);
      showAvailability();
      showMessage(
        [`Booked ${sentenceList(seats.map(seatLabel))} for ${money(result.total_cents)}. `, h('a', { href: '#/bookings' }, 'See my bookings')],
        'success',
      );
      refresh();
    } catch (err) {
      unanswered = err.status === 0 ? { fingerprint, key } : null;
      bookingFailed(err, seatIds);
    } finally {
      booking = false;
      showSelection();
    }
  }

  function bookingFailed(err, seatIds) {
    switch (err.code) {
      case 'seat_unavailable': {
        const taken = err.problem.unavailable_seat_ids ?? [];
        map.markBooked(taken);
        const labels = taken.map((id) => map.seat(id)).filter(Boolean).map(seatLabel);
        showMessage(
          labels.length
            ? `Sorry, ${sentenceList(labels)} ${labels.length === 1 ? 'has' : 'have'} just been taken and removed from your selection. Please choose again.`
            : err.message,
          'error',
        );
        showAvailability();
        refresh();
        return;
      }
      case 'event_started':
        closed = true;
        showMessage('This event has already started, so its seats can no longer be booked.', 'error');
        return;
      case 'event_not_found':
        gone = closed = true;
        showMessage('This event has been removed.', 'error');
        return;
      case 'invalid_seats':
        map.clearSelection();
        showMessage(`${err.message} Please choose your seats again.`, 'error');
        return;
    }
    // 401: the session ended and the app is on its way to the sign-in page; come back to these seats.
    if (err.status === 401) keepPendingSelection(eventId, seatIds);
    else showError(err);
  }

  bookButton.addEventListener('click', book);
  showSelection();
}
