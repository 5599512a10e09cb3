// The waiting room of a gated event (event.admission set): the buyer takes a
// place in the queue, sees it and a countdown to its admission time, and is
// let on to the seat map once admitted; the ticket's token then goes with
// every hold. An expired token means joining again, at the back.
import { getQueueTicket, joinQueue, serverNow } from '../api.js';
import { h } from '../dom.js';
import { clock, dateTime, number } from '../format.js';
import { navigate, signInPath } from '../router.js';
import { session } from '../session.js';
import { flash, showError, ticker } from '../ui.js';

// A ticket's admission time is fixed when it is given, so a waiting client only
// needs to ask at that instant; before it, it asks every IDLE_POLL_MS (the gate
// may be removed or the event deleted), and after a failure every QUEUE_POLL_MS.
const QUEUE_POLL_MS = 5_000;
const IDLE_POLL_MS = 30_000;
// Asked a little after the admission time: the server's clock is the one that decides.
const AFTER_ADMISSION_MS = 250;
// Due by this clock but not yet by the server's: they differ by under 2 s (see serverNow).
const LATE_POLL_MS = 1_000;

/** When to ask for the ticket again, `left` ms before its admission time (by the server's clock). */
function nextPollDelay(left) {
  if (left <= 0) return LATE_POLL_MS;
  return left <= IDLE_POLL_MS + QUEUE_POLL_MS ? left + AFTER_ADMISSION_MS : IDLE_POLL_MS;
}

/**
 * The queue panel of a gated event. onChange() runs whenever the visitor is
 * let in or out. Returns {element, token() (the admission token while it is
 * valid, else null), refused() (a hold was refused 403 admission_required),
 * start()}.
 */
export function queueGate(event, { signal, onChange }) {
  let ticket = null;
  let state = 'loading'; // 'signed-out', 'none', 'waiting', 'admitted', 'expired', 'closed'
  let pollTimer = null;
  let stopTicking = () => {};
  let joining = false;

  const title = h('h2', {});
  const text = h('p', { 'data-testid': 'queue-text' });
  const position = h('strong', { class: 'queue-position', 'data-testid': 'queue-position' });
  const countdown = h('span', { class: 'countdown', role: 'timer', 'data-testid': 'queue-countdown' });
  const countdownLabel = h('span', { class: 'muted small' });
  const figures = h(
    'div',
    { class: 'queue-figures' },
    h('div', { class: 'queue-figure' }, h('span', { class: 'muted small' }, 'Your place'), position),
    h('div', { class: 'queue-figure' }, countdownLabel, countdown),
  );
  const joinButton = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'join-queue' }, 'Join the queue');
  const element = h(
    'section',
    { class: 'panel queue stack', 'data-testid': 'queue', 'data-state': state, 'aria-label': 'Queue', 'aria-live': 'polite' },
    title,
    text,
    figures,
    h('div', { class: 'actions' }, joinButton),
  );
  const opensAt = Date.parse(event.admission.opens_at);
  const perMinute = event.admission.rate_per_minute;

  /** Shows the time left until `iso` on the countdown, every second; onEnd() at zero. */
  function countDown(iso, onEnd) {
    const until = Date.parse(iso);
    const showLeft = (left) => (countdown.textContent = clock(Math.ceil(Math.max(0, left) / 1000)));
    showLeft(until - serverNow());
    stopTicking = ticker(until, showLeft, onEnd);
  }

  function show(next) {
    const was = state === 'admitted';
    state = element.dataset.state = next;
    stopTicking();
    figures.hidden = !(next === 'waiting' || next === 'admitted');
    joinButton.hidden = !(next === 'none' || next === 'expired' || next === 'signed-out');
    joinButton.disabled = joining;
    joinButton.textContent = { 'signed-out': 'Sign in to join the queue', expired: 'Join the queue again' }[next] ?? 'Join the queue';
    const opens = opensAt > serverNow() ? ` It opens ${dateTime(event.admission.opens_at)}.` : '';
    const pace = `Buyers are let in one by one, ${number(perMinute)} a minute, in the order they joined.`;
    switch (next) {
      case 'loading':
        title.textContent = 'Queue';
        text.textContent = 'Looking for your place in the queue…';
        break;
      case 'signed-out':
        title.textContent = 'This on-sale has a queue';
        text.textContent = `${pace}${opens} Sign in to take your place.`;
        break;
      case 'none':
        title.textContent = 'This on-sale has a queue';
        text.textContent = `${pace}${opens} Join it to get your place and the time you will be let in.`;
        break;
      case 'waiting':
        title.textContent = 'You are in the queue';
        text.textContent = `Keep this page open: at ${dateTime(ticket.admitted_at)} you will be let in to choose your seats.`;
        position.textContent = number(ticket.position);
        countdownLabel.textContent = 'Let in in';
        countDown(ticket.admitted_at, () => (countdown.textContent = clock(0)));
        break;
      case 'admitted':
        title.textContent = 'You are in';
        text.textContent = 'Choose your seats on the map below. Your admission lasts until the time shown runs out; a hold made before then keeps its own time.';
        position.textContent = number(ticket.position);
        countdownLabel.textContent = 'Admission ends in';
        countDown(ticket.token_expires_at, () => show('expired'));
        break;
      case 'expired':
        title.textContent = 'Your admission has ended';
        text.textContent = 'Your time to choose seats ran out. Join the queue again for a new place at the back.';
        break;
      case 'closed':
        title.textContent = 'Queue closed';
        text.textContent = 'This event has started or no longer sells through a queue. Reload the page to see it as it is now.';
        break;
    }
    if (was !== (state === 'admitted')) onChange();
  }

  /** Shows a ticket from the API and plans the next look at it. */
  function take(next) {
    ticket = next;
    clearTimeout(pollTimer);
    if (!ticket.admitted) {
      show('waiting');
      poll(nextPollDelay(Date.parse(ticket.admitted_at) - serverNow()));
    } else if (Date.parse(ticket.token_expires_at) > serverNow()) show('admitted');
    else show('expired');
  }

  function poll(ms) {
    clearTimeout(pollTimer);
    if (!signal.aborted) pollTimer = setTimeout(look, ms);
  }

  function failed(err) {
    switch (err.code) {
      case 'not_in_queue':
        return show('none');
      case 'no_queue':
      case 'event_started':
      case 'event_not_found':
        return show('closed');
    }
    if (err.status === 401 || err.name === 'AbortError') return;
    if (state === 'waiting') {
      // A refused or failed poll asks again later, as the server's Retry-After says when it says.
      const wait = /^\d+$/.test(err.retryAfter ?? '') ? Number(err.retryAfter) * 1000 : QUEUE_POLL_MS;
      return poll(Math.max(wait, QUEUE_POLL_MS));
    }
    showError(err);
  }

  async function look() {
    try {
      take(await getQueueTicket(event.id, signal));
    } catch (err) {
      failed(err);
    }
  }

  async function join() {
    if (!session.token) {
      flash('Please sign in to join the queue.');
      navigate(signInPath());
      return;
    }
    joining = true;
    joinButton.disabled = true;
    try {
      take(await joinQueue(event.id));
    } catch (err) {
      failed(err);
    } finally {
      joining = false;
      joinButton.disabled = false;
    }
  }

  joinButton.addEventListener('click', join);
  signal.addEventListener('abort', () => {
    clearTimeout(pollTimer);
    stopTicking();
  });
  show('loading');

  return {
    element,
    token: () => (state === 'admitted' && Date.parse(ticket.token_expires_at) > serverNow() ? ticket.admission_token : null),
    refused: () => show('expired'),
    /** Finds the visitor's ticket, if they have one. */
    start: () => (session.token ? look() : show('signed-out')),
  };
}
