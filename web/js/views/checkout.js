// The event page's checkout: one card per active hold, with the held seats,
// the total, a countdown to the hold's expires_at, Confirm and Release. A
// waitlist offer is such a hold too; its card declines by leaving the list.
import { confirmHold, leaveWaitlist, releaseHold, serverNow } from '../api.js';
import { h } from '../dom.js';
import { clock, count, money } from '../format.js';
import { seatsText } from '../seatmap.js';
import { showError, showMessage, ticker } from '../ui.js';

const URGENT_MS = 60_000;

const WORDS = {
  hold: {
    title: 'Your seats are held',
    note: 'Confirm before the time runs out to book them, or release them for others.',
    expired: 'The time to confirm ran out and these seats went back on sale. You can choose seats again.',
    release: 'Release',
    again: 'Choose again',
  },
  offer: {
    title: 'Seats offered to you',
    note: 'Seats freed up for your place on the waitlist. Confirm before the time runs out to book them, or decline to pass them on.',
    expired: 'The time to confirm ran out and these seats went to the next in line.',
    release: 'Decline',
    again: 'Dismiss',
  },
};

/**
 * A card for an active Hold. Its owner is told what became of it:
 * onConfirmed(booking), onReleased(hold), onExpired(hold) (the card stays, in
 * its expired state, until the visitor dismisses it: onDismissed()), and
 * onGone(text) when the hold turns out to have ended elsewhere (another tab).
 * `offer`: the WaitlistEntry whose offer the hold is; declining it leaves the
 * list (the entry is what onReleased then gets). Returns {element, hold,
 * offer, active(), focus(), stop()}.
 */
export function checkoutCard(hold, { offer = null, onConfirmed, onReleased, onExpired, onDismissed, onGone }) {
  const words = WORDS[offer ? 'offer' : 'hold'];
  const expiresAt = Date.parse(hold.expires_at);
  let state = 'active'; // then 'expired', or 'done' once confirmed, released or gone
  let stopTicking = () => {};
  let sending = false;

  const title = h('h2', {}, words.title);
  const countdown = h('span', { class: 'countdown', role: 'timer', 'data-testid': 'countdown', 'aria-label': 'Time left to confirm' });
  const left = h('span', { class: 'muted small' }, ' left');
  const note = h('p', { class: 'muted small', 'aria-live': 'polite' }, words.note);
  const confirmButton = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'confirm' }, `Confirm · ${money(hold.total_cents)}`);
  const releaseButton = h('button', { class: 'btn', type: 'button', 'data-testid': offer ? 'decline' : 'release' }, words.release);
  const againButton = h('button', { class: 'btn', type: 'button', 'data-testid': 'pick-again', hidden: true }, words.again);
  const element = h(
    'section',
    {
      class: 'checkout',
      'data-testid': 'checkout',
      'data-hold-id': hold.id,
      'data-offer': offer && 'true',
      'data-state': state,
      'aria-label': offer ? 'Waitlist offer' : 'Checkout',
    },
    h('div', { class: 'checkout-head' }, title, h('span', { class: 'countdown-box' }, countdown, left)),
    note,
    h('div', { class: 'seats', 'data-testid': 'held-seats' }, seatsText(hold.seats)),
    h(
      'div',
      { class: 'checkout-foot' },
      h('span', { class: 'selection-total', 'data-testid': 'checkout-total' }, `${count(hold.seats.length, 'seat')} · ${money(hold.total_cents)}`),
      h('div', { class: 'actions' }, againButton, releaseButton, confirmButton),
    ),
  );

  // 'closed': the event started while checking out; the seats can still be released.
  function setButtons() {
    confirmButton.disabled = state !== 'active' || sending;
    releaseButton.disabled = !(state === 'active' || state === 'closed') || sending;
  }

  function tick(left) {
    countdown.textContent = clock(Math.ceil(left / 1000));
    element.classList.toggle('urgent', left <= URGENT_MS);
  }

  function expire() {
    if (state !== 'active') return;
    stopTicking();
    state = element.dataset.state = 'expired';
    title.textContent = 'Hold expired';
    countdown.textContent = clock(0);
    left.hidden = true;
    note.textContent = words.expired;
    releaseButton.hidden = true;
    againButton.hidden = false;
    setButtons();
    onExpired(hold);
  }

  function finish() {
    stopTicking();
    state = 'done';
    element.remove();
  }

  async function send(action) {
    sending = true;
    setButtons();
    try {
      await action();
    } catch (err) {
      failed(err);
    } finally {
      sending = false;
      setButtons();
    }
  }

  function failed(err) {
    switch (err.code) {
      case 'hold_expired':
        showMessage('Your hold expired before it could be confirmed; its seats went back on sale.', 'error');
        return expire();
      case 'hold_released':
        finish();
        return onGone('This hold was released, so its seats are no longer kept for you.');
      case 'hold_confirmed':
        finish();
        return onGone(['These seats are already booked. ', h('a', { href: '#/bookings' }, 'See my bookings')]);
      case 'hold_not_found':
        finish();
        return onGone('This hold no longer exists.');
      case 'waitlist_entry_not_found':
        finish();
        return onGone('This waitlist entry no longer exists.');
      case 'event_started':
        state = 'closed';
        return showMessage('This event has already started, so these seats can no longer be booked.', 'error');
    }
    // 401: the session ended and the app is on its way to the sign-in page.
    if (err.status !== 401) showError(err);
  }

  // Confirming twice returns the same booking, so a retry after a lost answer is safe.
  confirmButton.addEventListener('click', () =>
    send(async () => {
      const booking = await confirmHold(hold.id);
      finish();
      onConfirmed(booking);
    }),
  );
  releaseButton.addEventListener('click', () =>
    send(async () => {
      const released = await (offer ? leaveWaitlist(offer.id) : releaseHold(hold.id));
      finish();
      onReleased(released);
    }),
  );
  againButton.addEventListener('click', () => {
    finish();
    onDismissed();
  });

  setButtons();
  countdown.textContent = clock(Math.max(0, Math.ceil((expiresAt - serverNow()) / 1000)));
  // The first tick runs after the caller has the card (a hold may arrive already expired).
  stopTicking = ticker(expiresAt, tick, expire);
  return {
    element,
    hold,
    offer,
    active: () => state === 'active' || state === 'closed',
    /** Puts the keyboard on Confirm, without scrolling (the card is in view, at the bottom). */
    focus: () => confirmButton.focus({ preventScroll: true }),
    stop: () => stopTicking(),
  };
}
