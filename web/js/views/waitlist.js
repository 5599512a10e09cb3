// The waitlist of a sold-out event: joining it (quantity, section), the
// entry's place and status, and noticing the offer its place earns. The API
// lists no entries, so each user's entry ids are kept in localStorage, one per
// event, for the event page and "My bookings".
import { getWaitlistEntry, joinWaitlist } from '../api.js';
import { h } from '../dom.js';
import { seatChoice } from '../forms.js';
import { count, number } from '../format.js';
import { navigate, signInPath } from '../router.js';
import { session } from '../session.js';
import { flash, showError, showMessage } from '../ui.js';

const MAX_SEATS = 10; // per entry, as per hold
const MAX_KEPT = 50; // entries remembered per user, the newest
// A waiting entry is looked at this often, and at once whenever the seat map changes.
const WAITLIST_POLL_MS = 3_000;
const LIVE = new Set(['waiting', 'offered']);

const storageKey = (userId) => `evently.waitlist.${userId}`;

function kept(userId) {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey(userId)));
    return Array.isArray(saved) ? saved.filter((e) => Number.isInteger(e?.eventId) && Number.isInteger(e?.entryId)) : [];
  } catch {
    return [];
  }
}

function keep(userId, entries) {
  localStorage.setItem(storageKey(userId), JSON.stringify(entries.slice(-MAX_KEPT)));
}

/** The signed-in user's remembered entries, [{eventId, entryId}], oldest first. */
export function rememberedEntries() {
  return session.user ? kept(session.user.id) : [];
}

/** Remembers an entry as the user's one for its event. */
function remember(entry) {
  keep(entry.user_id, [...kept(entry.user_id).filter((e) => e.eventId !== entry.event_id), { eventId: entry.event_id, entryId: entry.id }]);
}

/** Forgets an entry (it no longer exists, or is over and has been shown). */
export function forgetEntry(entryId) {
  if (session.user) keep(session.user.id, kept(session.user.id).filter((e) => e.entryId !== entryId));
}

/** "2 seats in Stalls", "1 seat, any section". */
export const wanted = (entry) => `${count(entry.quantity, 'seat')}${entry.section ? ` in ${entry.section}` : ', any section'}`;

/** What an entry's status means, in a sentence. */
export function entryText(entry) {
  switch (entry.status) {
    case 'waiting':
      return `You are number ${number(entry.position)} in line for ${wanted(entry)}. When seats free up they are offered to you here.`;
    case 'offered':
      return `Seats are offered to you (${wanted(entry)}): confirm them before the time runs out.`;
    case 'fulfilled':
      return 'Your waitlist offer is booked.';
    case 'expired':
      return 'Your offer ran out and its seats went to the next in line.';
    default:
      return 'You left the waitlist.';
  }
}

/** Quantity (1..10) and section (any, or one of the event's) to wait for. */
function joinForm(event, onSubmit) {
  const choice = seatChoice(event, 'waitlist', MAX_SEATS);
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', 'data-testid': 'join-waitlist' }, 'Join the waitlist');
  const form = h('form', { class: 'best-available', 'aria-label': 'Join the waitlist' }, choice.fields, submit);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    onSubmit(choice.value(), submit);
  });
  return form;
}

/**
 * The waitlist panel of the event page. onOffer(entry) runs when the entry
 * holds an offer (entry.hold, an active Hold), at most once per offer.
 * Returns {element, entry(), refresh(), setSoldOut(soldOut), setClosed()}.
 */
export function waitlistPanel(event, { signal, onOffer }) {
  let entry = null;
  let soldOut = event.available_seats === 0;
  let closed = false;
  let timer = null;
  let looking = false;
  const offered = new Set(); // hold ids already passed to onOffer

  const title = h('h2', {}, 'Sold out');
  const text = h('p', { 'data-testid': 'waitlist-text' });
  const form = joinForm(event, join);
  const element = h(
    'section',
    { class: 'panel waitlist stack', 'data-testid': 'waitlist', 'aria-label': 'Waitlist', 'aria-live': 'polite', hidden: true },
    title,
    text,
    form,
  );

  function show() {
    const live = entry && LIVE.has(entry.status);
    element.hidden = !live && !entry && !(soldOut && !closed);
    element.dataset.status = entry?.status ?? 'none';
    form.hidden = live || closed || !soldOut;
    if (entry) {
      title.textContent = live ? 'You are on the waitlist' : 'Waitlist';
      text.textContent = entryText(entry);
      if (!live && soldOut && !closed) text.textContent += ' You can join the waitlist again.';
    } else {
      title.textContent = 'Sold out';
      text.textContent = 'Join the waitlist: seats that free up are offered to the people waiting, in the order they joined, before anyone else can take them.';
    }
    clearTimeout(timer);
    if (entry?.status === 'waiting' && !signal.aborted) timer = setTimeout(refresh, WAITLIST_POLL_MS);
  }

  function take(next) {
    entry = next;
    remember(entry);
    show();
    if (entry.status === 'offered' && entry.hold && !offered.has(entry.hold.id)) {
      offered.add(entry.hold.id);
      onOffer(entry);
    }
  }

  /** Reads the entry again (after a poll, a change of the seat map, or the end of its offer). */
  async function refresh() {
    const id = entry?.id ?? rememberedEntries().find((e) => e.eventId === event.id)?.entryId;
    if (!id || looking || !session.token) return;
    looking = true;
    try {
      take(await getWaitlistEntry(id, signal));
    } catch (err) {
      if (err.code === 'waitlist_entry_not_found') {
        forgetEntry(id);
        entry = null;
        show();
      } else if (entry?.status === 'waiting') show(); // polls again
    } finally {
      looking = false;
    }
  }

  async function join(wish, submit) {
    if (!session.token) {
      flash('Please sign in to join the waitlist.');
      navigate(signInPath());
      return;
    }
    submit.disabled = true;
    try {
      take(await joinWaitlist(event.id, wish));
      if (entry.status === 'waiting') showMessage(`You are on the waitlist, number ${number(entry.position)} in line.`, 'success');
    } catch (err) {
      switch (err.code) {
        case 'already_waiting':
          showMessage('You are already on the waitlist for this event (joined on another device, perhaps).', 'error');
          break;
        case 'invalid_section':
          showMessage(`${err.message} Please pick another section.`, 'error');
          break;
        case 'event_started':
          closed = true;
          show();
          showMessage('This event has already started.', 'error');
          break;
        default:
          if (err.status !== 401) showError(err);
      }
    } finally {
      submit.disabled = false;
    }
  }

  signal.addEventListener('abort', () => clearTimeout(timer));
  show();
  return {
    element,
    entry: () => entry,
    refresh,
    setSoldOut(next) {
      if (next === soldOut) return;
      soldOut = next;
      show();
    },
    setClosed() {
      closed = true;
      show();
    },
  };
}
