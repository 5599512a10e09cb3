// "#/admin/events/:id": edit an event's name, venue, description, start, hold time
// and admission queue; or delete it.
import { getEvent, updateEvent } from '../api.js';
import { h } from '../dom.js';
import { busy, showFormError } from '../forms.js';
import { count, money, number } from '../format.js';
import { navigate, notice } from '../router.js';
import { flash, setTitle, showMessage } from '../ui.js';
import { adminTabs, confirmDelete, eventFields, eventValues } from './admin-common.js';

function layoutTable(event) {
  return h(
    'table',
    { class: 'table small' },
    h('thead', {}, h('tr', {}, ['Section', 'Rows', 'Seats per row', 'Price'].map((title) => h('th', {}, title)))),
    h(
      'tbody',
      {},
      event.sections.map((s) => h('tr', {}, h('td', {}, s.name), h('td', {}, number(s.rows)), h('td', {}, number(s.seats_per_row)), h('td', {}, money(s.price_cents)))),
    ),
  );
}

export default async function adminEventView(root, { params, signal }) {
  root.append(adminTabs(null));
  let event;
  try {
    event = await getEvent(params.id, signal);
  } catch (err) {
    if (err.code !== 'event_not_found') throw err;
    root.append(notice('Event not found', 'It may have been deleted.', h('a', { href: '#/admin' }, 'Back to events')));
    return;
  }
  setTitle(`Edit ${event.name}`);
  const { inputs, elements } = eventFields(event);
  const initial = eventValues(inputs);
  const save = h('button', { class: 'btn btn-primary', type: 'submit', 'data-testid': 'save-event' }, 'Save changes');
  const remove = h('button', { class: 'btn btn-danger', type: 'button', 'data-testid': 'delete-event' }, 'Delete event');
  const form = h('form', { class: 'form', novalidate: true }, elements, h('div', { class: 'row spread' }, save, remove));

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    // Only what changed is sent, so saving never rewrites another admin's concurrent edit of other fields
    // (compared as JSON: the admission gate is an object).
    const changed = ([key, value]) => JSON.stringify(value) !== JSON.stringify(initial[key]);
    const changes = Object.fromEntries(Object.entries(eventValues(inputs)).filter(changed));
    if (!Object.keys(changes).length) {
      showMessage('Nothing has changed.');
      return;
    }
    busy(save, async () => {
      try {
        const updated = await updateEvent(event.id, changes);
        flash(`Saved “${updated.name}”.`, 'success');
        navigate('/admin');
      } catch (err) {
        showFormError(form, err);
      }
    });
  });
  remove.addEventListener('click', async () => {
    if (await confirmDelete(event)) {
      flash(`Deleted “${event.name}”.`, 'success');
      navigate('/admin');
    }
  });

  root.append(
    h(
      'div',
      { class: 'panel stack' },
      h('h1', {}, 'Edit event'),
      form,
      h(
        'section',
        { class: 'stack' },
        h('h2', {}, 'Seat layout'),
        h('p', { class: 'muted small' }, `${count(event.capacity, 'seat')}, ${number(event.booked_seats)} booked, ${number(event.held_seats)} held. The layout cannot be changed after creation.`),
        layoutTable(event),
      ),
    ),
  );
}
