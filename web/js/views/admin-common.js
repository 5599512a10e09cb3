// Pieces shared by the admin pages.
import { deleteEvent } from '../api.js';
import { h } from '../dom.js';
import { field } from '../forms.js';
import { count, fromLocalInput, toLocalInput } from '../format.js';
import { showError } from '../ui.js';

const TABS = [
  ['/admin', 'Events'],
  ['/admin/analytics', 'Analytics'],
];

export function adminTabs(current) {
  return h(
    'nav',
    { class: 'tabs', 'aria-label': 'Admin' },
    TABS.map(([path, label]) => h('a', { href: `#${path}`, 'aria-current': path === current ? 'page' : null }, label)),
  );
}

export const DEFAULT_HOLD_SECONDS = 600;

/**
 * The editable fields of an event (name, venue, starts_at, hold_seconds, the
 * admission queue's opening and rate, description), filled from `event` if given.
 */
export function eventFields(event = {}) {
  const inputs = {
    name: h('input', { name: 'name', required: true, maxlength: '200', 'data-testid': 'event-name', value: event.name ?? '' }),
    venue: h('input', { name: 'venue', required: true, maxlength: '200', 'data-testid': 'event-venue', value: event.venue ?? '' }),
    starts_at: h('input', {
      name: 'starts_at',
      type: 'datetime-local',
      required: true,
      'data-testid': 'event-starts-at',
      value: event.starts_at ? toLocalInput(event.starts_at) : '',
    }),
    hold_seconds: h('input', {
      name: 'hold_seconds',
      type: 'number',
      min: '1',
      max: '3600',
      step: '1',
      required: true,
      'data-testid': 'event-hold-seconds',
    }),
    // Named as the API names their errors, so that those land next to them.
    admission_opens_at: h('input', {
      name: 'admission.opens_at',
      type: 'datetime-local',
      'data-testid': 'event-queue-opens-at',
      value: event.admission ? toLocalInput(event.admission.opens_at) : '',
    }),
    admission_rate: h('input', {
      name: 'admission.rate_per_minute',
      type: 'number',
      min: '1',
      max: '1000000',
      step: '1',
      'data-testid': 'event-queue-rate',
      value: event.admission ? String(event.admission.rate_per_minute) : '',
    }),
    description: h('textarea', { name: 'description', maxlength: '5000', 'data-testid': 'event-description', value: event.description ?? '' }),
  };
  // The default value (not only the current one), so that resetting the form restores it.
  inputs.hold_seconds.defaultValue = String(event.hold_seconds ?? DEFAULT_HOLD_SECONDS);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const elements = [
    h(
      'div',
      { class: 'form-grid' },
      field('Name', inputs.name),
      field('Venue', inputs.venue),
      field('Starts at', inputs.starts_at, `Your local time (${zone})`),
      field('Hold time (seconds)', inputs.hold_seconds, 'How long seats stay held while a buyer checks out: 1 to 3600'),
      field('Queue opens at', inputs.admission_opens_at, 'Optional: sell through a queue that lets buyers in from this time'),
      field('Buyers let in per minute', inputs.admission_rate, 'With a queue: one buyer every 60 / this many seconds. Leave both empty for no queue'),
    ),
    field('Description', inputs.description),
  ];
  return { inputs, elements };
}

/** The API fields from eventFields' inputs. */
export function eventValues(inputs) {
  return {
    name: inputs.name.value.trim(),
    venue: inputs.venue.value.trim(),
    description: inputs.description.value,
    starts_at: fromLocalInput(inputs.starts_at.value),
    // Empty → null, so that the API names the missing value.
    hold_seconds: inputs.hold_seconds.value.trim() === '' ? null : Number(inputs.hold_seconds.value),
    admission: admissionValue(inputs),
  };
}

/** Both queue fields empty: no queue (null); else the gate, a missing half null for the API to name. */
function admissionValue(inputs) {
  const opensAt = inputs.admission_opens_at.value;
  const rate = inputs.admission_rate.value.trim();
  if (!opensAt && !rate) return null;
  return { opens_at: opensAt ? fromLocalInput(opensAt) : null, rate_per_minute: rate ? Number(rate) : null };
}

/** Asks, then deletes the event; resolves to whether it is gone. */
export async function confirmDelete(event) {
  const question = `Delete “${event.name}”? Its ${count(event.capacity, 'seat')} and every booking for it (${count(event.booked_seats, 'booked seat')}) will be removed. This cannot be undone.`;
  if (!confirm(question)) return false;
  try {
    await deleteEvent(event.id);
    return true;
  } catch (err) {
    if (err.code === 'event_not_found') return true;
    showError(err);
    return false;
  }
}
