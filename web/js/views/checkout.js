// The event page's checkout: one card per active hold, with the held seats,
// the total, a countdown to the hold's expires_at, Confirm and Release.
import { confirmHold, releaseHold, serverNow } from '../api.js';
import { h } from '../dom.js';
import { count, money } from '../format.js';
import { seatsText } from '../seatmap.js';
import { showError, showMessage } from '../ui.js';

const URGENT_MS = 60_000;

/** "9:05" for 545 seconds. */
function clock(seconds) {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * A card for an active Hold. Its owner is told what became of it:
 * onConfirmed(booking), onReleased(hold), onExpired(hold) (the card stays, in
 * its expired state, until the visitor dismisses it: onDismissed()), and
 * onGone(text) when the hold turns out to have ended elsewhere (another tab).
 * Returns {element, hold, active(), focus(), stop()}.
 */
export function checkoutCard(hold, { onConfirmed, onReleased, onExpired, onDismissed, onGone }) {
  const expiresAt = Date.parse(hold.expires_at);
  let state = 'active'; // then 'expired', or 'done' once confirmed, released or gone
  let timer = null;
  let sending = false;

  const title = h('h2', {}, 'Your seats are held');
  const countdown = h('span', { class: 'countdown', role: 'timer', 'data-testid': 'countdown', 'aria-label': 'Time left to confirm' });
  const left = h('span', { class: 'muted small' }, ' left');
  const note = h('p', { class: 'muted small', 'aria-live': 'polite' }, 'Confirm before the time runs out to book them, or release them for others.');
  const confirmButton = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'confirm' }, `Confirm · ${money(hold.total_cents)}`);
  const releaseButton = h('button', { class: 'btn', type: 'button', 'data-testid': 'release' }, 'Release');
  const againButton = h('button', { class: 'btn', type: 'button', 'data-testid': 'pick-again', hidden: true }, 'Choose again');
  const element = h(
    'section',
    { class: 'checkout', 'data-testid': 'checkout', 'data-hold-id': hold.id, 'data-state': state, 'aria-label': 'Checkout' },
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

  // Ticks on the whole seconds of the time left, so the display never lags a second behind.
  function tick() {
    const left = expiresAt - serverNow();
    if (left <= 0) return expire();
    countdown.textContent = clock(Math.ceil(left / 1000));
    element.classList.toggle('urgent', left <= URGENT_MS);
    timer = setTimeout(tick, left % 1000 || 1000);
  }

  function expire() {
    if (state !== 'active') return;
    clearTimeout(timer);
    state = element.dataset.state = 'expired';
    title.textContent = 'Hold expired';
    countdown.textContent = clock(0);
    left.hidden = true;
    note.textContent = 'The time to confirm ran out and these seats went back on sale. You can choose seats again.';
    releaseButton.hidden = true;
    againButton.hidden = false;
    setButtons();
    onExpired(hold);
  }

  function finish() {
    clearTimeout(timer);
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
      const released = await releaseHold(hold.id);
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
  timer = setTimeout(tick, 0);
  return {
    element,
    hold,
    active: () => state === 'active' || state === 'closed',
    /** Puts the keyboard on Confirm, without scrolling (the card is in view, at the bottom). */
    focus: () => confirmButton.focus({ preventScroll: true }),
    stop: () => clearTimeout(timer),
  };
}
