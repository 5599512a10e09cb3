// "#/events/:id": event details, the live seat map, and the on-sale flow in
// two steps: seats are held (picked on the map, or the best available block),
// then confirmed or released at the checkout before the hold runs out. A gated
// event lets the buyer pick only once admitted from its queue; a sold-out one
// offers its waitlist, whose offers come to the same checkout.
import { createHold, getEvent, getSeats, listHolds, newIdempotencyKey } from '../api.js';
import { h } from '../dom.js';
import { seatChoice } from '../forms.js';
import { count, dateTime, money, number, priceRange, sentenceList } from '../format.js';
import { navigate, notice, signInPath } from '../router.js';
import { BOOKED_COLOUR, SELECTED_COLOUR, SeatMap, seatLabel, seatsText } from '../seatmap.js';
import { session } from '../session.js';
import { flash, setTitle, showError, showMessage } from '../ui.js';
import { checkoutCard } from './checkout.js';
import { queueGate } from './queue.js';
import { waitlistPanel } from './waitlist.js';

const MAX_SEATS = 10; // per hold, and held by one visitor for one event
const POLL_MS = 5000;
// After a hold runs out, the map asks again this soon: its seats are back on sale from that instant.
const EXPIRY_POLL_MS = 300;
// What a visitor asked to hold before signing in, {eventId, what} (`what` as
// POST /holds takes it, seat_ids or quantity and section), for their return.
const PENDING_KEY = 'evently.pendingHold';
const PICK_HINT = 'Click seats to select them, or focus the map and use the arrow keys and Enter.';
const CHECKOUT_HINT = 'Your seats are held. Confirm or release them to choose other seats.';
const QUEUE_HINT = 'Seats can be chosen once you are let in from the queue.';
const STATUS_WORDS = { available: 'available', selected: 'selected', yours: 'held for you', held: 'held by someone else', booked: 'booked' };

function keepPendingHold(eventId, what) {
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ eventId, what }));
}

function takePendingHold(eventId) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null');
  sessionStorage.removeItem(PENDING_KEY);
  return pending?.eventId === eventId ? pending.what : null;
}

function legend(map) {
  // The colour is set through the CSSOM: a style attribute would be inline style, which the CSP refuses.
  const item = (swatchClass, colour, text) => {
    const swatch = h('i', { class: `swatch ${swatchClass}` });
    if (colour) swatch.style.background = colour;
    return h('span', {}, swatch, text);
  };
  return h(
    'div',
    { class: 'legend', 'aria-label': 'Legend' },
    map.tiers.map((tier) => item('', tier.colour, money(tier.price_cents))),
    item('', SELECTED_COLOUR, 'Selected'),
    item('swatch-yours', null, 'Held for you'),
    item('swatch-held', null, 'Held'),
    item('', BOOKED_COLOUR, 'Booked'),
  );
}

/** Quantity (1..10) and section (any, or one of the event's) for a best-available hold. */
function bestAvailableForm(event) {
  const choice = seatChoice(event, 'best', MAX_SEATS);
  const submit = h('button', { class: 'btn', type: 'submit', 'data-testid': 'best-available' }, 'Find best seats');
  const form = h(
    'form',
    { class: 'best-available', 'aria-label': 'Best available seats' },
    h('span', { class: 'best-available-title' }, 'Best available'),
    choice.fields,
    submit,
  );
  return { form, submit, value: choice.value, set: choice.set };
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
  let holding = false; // a hold request is on its way
  let modeHint = null; // the hint of the mode shown; hovering seats replaces the text until the mode changes
  const cards = new Map(); // hold id → its checkout card; while any is shown, the map cannot be picked from

  const availability = h('span', { 'data-testid': 'availability' });
  const inspector = h('p', { class: 'muted small inspector', 'aria-live': 'polite' });
  const canvas = h('canvas', {
    tabindex: '0',
    'data-testid': 'seat-map',
    'aria-label': `Seat map for ${event.name}. Arrow keys move between seats; Enter or Space selects.`,
  });
  const scroller = h('div', { class: 'seatmap-scroll' }, canvas);
  const chosen = h('div', { class: 'seats' });
  const total = h('div', { class: 'selection-total', 'data-testid': 'selection-total' });
  const holdButton = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'hold' }, 'Hold seats');
  const selectionBar = h('div', { class: 'selection-bar' }, chosen, total, holdButton);
  const checkout = h('div', { class: 'checkout-area', 'data-testid': 'checkout-area', hidden: true });
  const best = bestAvailableForm(event);
  const gate = event.admission ? queueGate(event, { signal, onChange: showMode }) : null;
  const waitlist = waitlistPanel(event, { signal, onOffer: (entry) => showHold(entry.hold, entry) });
  // Nothing to pick with before admission from the queue.
  const queued = () => !closed && Boolean(gate) && !gate.token();
  const map = new SeatMap(canvas, {
    maxSelection: MAX_SEATS,
    onChange: showSelection,
    onInspect: (seat) => {
      if (seat) inspector.textContent = `${seatLabel(seat)} · ${money(seat.price_cents)} · ${STATUS_WORDS[map.status(seat.id)]}`;
    },
    onLimit: () => showMessage(`You can hold up to ${MAX_SEATS} seats at a time.`),
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
      !closed && gate?.element,
      waitlist.element,
      best.form,
      scroller,
      inspector,
      selectionBar,
      checkout,
    ),
  );
  map.setData(seatData.sections, seatData.seats);
  scroller.before(legend(map));
  if (closed) waitlist.setClosed();
  showMode();

  const hook = Object.freeze({
    seatAt: (id) => map.seatAt(id),
    status: (id) => map.status(id),
    /** The seats drawn as the visitor's own hold. */
    mine: () => map.mineIds,
  });
  (window.evently ??= {}).seatMap = hook;

  /** The counts, and when none is left the waitlist in place of best available. */
  function showAvailability() {
    const { available, held } = map.counts;
    availability.textContent = `${number(available)} of ${count(map.seats.length, 'seat')} available${held ? ` · ${number(held)} held` : ''}`;
    waitlist.setSoldOut(available === 0);
    best.form.hidden = available === 0 || queued();
  }

  function showSelection() {
    const seats = map.selection;
    const sum = seats.reduce((cents, seat) => cents + seat.price_cents, 0);
    chosen.textContent = seats.length ? seats.map(seatLabel).join(', ') : 'No seats selected';
    total.textContent = `${count(seats.length, 'seat')} · ${money(sum)}`;
    holdButton.disabled = closed || holding || seats.length === 0;
    best.submit.disabled = closed || holding || cards.size > 0;
  }

  /** Waiting in the queue, picking, or checking out: nothing to pick with, the selection bar, or the checkout cards. */
  function showMode() {
    const checkingOut = cards.size > 0;
    const waiting = queued();
    const hint = checkingOut ? CHECKOUT_HINT : waiting ? QUEUE_HINT : PICK_HINT;
    if (hint !== modeHint || !inspector.textContent) inspector.textContent = modeHint = hint;
    selectionBar.hidden = checkingOut || waiting;
    checkout.hidden = !checkingOut;
    if (waiting) map.clearSelection();
    map.locked = checkingOut || waiting;
    map.setMine([...cards.values()].filter((card) => card.active()).flatMap((card) => card.hold.seats.map((seat) => seat.id)));
    showAvailability();
    showSelection();
  }

  function reportLost(lost) {
    if (!lost.length) return;
    const labels = sentenceList(lost.map(seatLabel));
    showMessage(`Sorry, ${labels} ${lost.length === 1 ? 'was' : 'were'} just taken by someone else and removed from your selection.`, 'error');
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
        // Seats moved: perhaps freed and offered to this visitor's entry.
        if (waitlist.entry()?.status === 'waiting') waitlist.refresh();
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

  function refreshSoon(ms) {
    if (polling || gone || signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, ms);
  }
  timer = setTimeout(refresh, POLL_MS);
  window.addEventListener('focus', refresh, { signal });
  signal.addEventListener('abort', () => {
    clearTimeout(timer);
    for (const card of cards.values()) card.stop();
    map.destroy();
    if (window.evently.seatMap === hook) delete window.evently.seatMap;
  });

  // Checkout

  function endCard(hold) {
    cards.delete(hold.id);
    showMode();
  }

  /** A checkout card for an active hold; `offer`: the waitlist entry whose offer it is. */
  function showHold(hold, offer = null) {
    if (cards.has(hold.id)) return;
    const card = checkoutCard(hold, {
      offer,
      onConfirmed: (booking) => {
        endCard(hold);
        if (offer) waitlist.refresh();
        map.markBooked(booking.seats.map((seat) => seat.id));
        showAvailability();
        showMessage(
          [`Booked ${seatsText(booking.seats)} for ${money(booking.total_cents)}. `, h('a', { href: '#/bookings' }, 'See my bookings')],
          'success',
        );
        refresh();
      },
      onReleased: () => {
        endCard(hold);
        if (offer) {
          showMessage(`You declined ${seatsText(hold.seats)} and left the waitlist; the seats go to the next in line.`);
          waitlist.refresh();
        } else showMessage(`Released ${seatsText(hold.seats)}.`);
        refresh();
      },
      onExpired: () => {
        showMode(); // its seats are no longer drawn as yours
        refreshSoon(EXPIRY_POLL_MS);
        if (offer) waitlist.refresh();
      },
      onDismissed: () => endCard(hold),
      onGone: (text) => {
        endCard(hold);
        showMessage(text, 'error');
        refresh();
      },
    });
    cards.set(hold.id, card);
    checkout.append(card.element);
    map.markHeld(hold.seats.map((seat) => seat.id));
    showMode();
  }

  // Holding. The key of an attempt whose answer was lost (network failure): retrying
  // the same request reuses it, so the server holds the seats at most once.
  let unanswered = null;

  async function hold(what, { reveal = false } = {}) {
    if (!session.token) {
      keepPendingHold(eventId, what);
      flash('Please sign in to hold seats.');
      navigate(signInPath());
      return;
    }
    const fingerprint = JSON.stringify(what);
    const key = unanswered?.fingerprint === fingerprint ? unanswered.key : newIdempotencyKey();
    holding = true;
    showSelection();
    try {
      const held = await createHold(eventId, what, key, gate?.token());
      unanswered = null;
      map.clearSelection();
      showHold(held);
      if (reveal) map.revealSeat(held.seats[0].id);
      cards.get(held.id)?.focus();
      refresh();
    } catch (err) {
      unanswered = err.status === 0 ? { fingerprint, key } : null;
      holdFailed(err, what);
    } finally {
      holding = false;
      showSelection();
    }
  }

  function holdSelection() {
    return hold({ seat_ids: map.selection.map((seat) => seat.id) });
  }

  function holdBestAvailable(e) {
    e.preventDefault();
    const { quantity, section } = best.value();
    return hold(section ? { quantity, section } : { quantity }, { reveal: true });
  }

  function holdFailed(err, what) {
    switch (err.code) {
      case 'seat_unavailable': {
        const taken = err.problem.unavailable_seat_ids ?? [];
        map.deselect(taken);
        const labels = taken.map((id) => map.seat(id)).filter(Boolean).map(seatLabel);
        showMessage(
          labels.length
            ? `Sorry, ${sentenceList(labels)} ${labels.length === 1 ? 'has' : 'have'} just been taken and removed from your selection. Please choose again.`
            : err.message,
          'error',
        );
        refresh();
        return;
      }
      case 'not_enough_seats': {
        const where = what.section ? ` in ${what.section}` : '';
        const advice = what.quantity > 1 ? 'Try fewer seats' : 'Please try later';
        showMessage(
          `There are no ${count(what.quantity, 'seat')} together left${where}. ${advice}${what.section ? ' or another section' : ''}.`,
          'error',
        );
        refresh();
        return;
      }
      case 'hold_limit_reached':
        showMessage(`You can hold at most ${MAX_SEATS} seats for this event at a time. Confirm or release the seats you hold first.`, 'error');
        loadHolds(); // held in another tab, perhaps: show them here
        return;
      case 'invalid_section':
        showMessage(`${err.message} Please pick another section.`, 'error');
        return;
      case 'admission_required':
        gate?.refused();
        showMessage('Your admission to this on-sale has ended. Join the queue again for a new place.', 'error');
        return;
      case 'event_started':
        closed = true;
        waitlist.setClosed();
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
    // 401: the session ended and the app is on its way to the sign-in page; come back to this choice.
    if (err.status === 401) keepPendingHold(eventId, what);
    else showError(err);
  }

  /** Shows the visitor's active holds for this event (after a reload, or made in another tab). */
  async function loadHolds() {
    if (!session.token) return;
    try {
      const { holds } = await listHolds({ event_id: eventId, limit: 100 }, signal);
      // Oldest first, so that the hold expiring first is at the top.
      for (const held of holds.reverse()) showHold(held);
    } catch (err) {
      if (err.status !== 401) showError(err);
    }
  }

  holdButton.addEventListener('click', holdSelection);
  best.form.addEventListener('submit', holdBestAvailable);
  showSelection();

  // The waitlist entry first, so that its offer (also an active hold) gets the offer's card.
  await waitlist.refresh();
  await loadHolds();
  if (!closed) gate?.start();
  // Back from signing in: the seats picked are selected again, or the best-available choice is restored.
  const pending = takePendingHold(eventId);
  if (pending && !cards.size) {
    if (pending.quantity) best.set(pending);
    else {
      map.select(pending.seat_ids ?? []);
      if (map.selection.length < pending.seat_ids?.length) showMessage('Some of the seats you chose were taken meanwhile; please check your selection.');
    }
  }
}
