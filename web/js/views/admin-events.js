// "#/admin": every event with edit and delete, and the form that creates one.
import { createEvent, listEvents } from '../api.js';
import { h } from '../dom.js';
import { busy, clearErrors, field, showFormError } from '../forms.js';
import { count, dateTime, number } from '../format.js';
import { pager, setTitle, showMessage } from '../ui.js';
import { adminTabs, confirmDelete, eventFields, eventValues } from './admin-common.js';

const PAGE_SIZE = 50;

/** An <input type=number> as a number; empty → null, so the API names the missing value. */
const numberOf = (input) => (input.value.trim() === '' ? null : Number(input.value));

/** The section builder: one row per section, capacity computed as you type. */
function sectionBuilder() {
  const rows = h('div');
  const capacity = h('strong', { 'data-testid': 'capacity' });
  const add = h('button', { class: 'btn btn-sm', type: 'button', 'data-testid': 'add-section' }, '+ Add section');
  const element = h(
    'fieldset',
    { 'data-field': 'sections' },
    h('legend', {}, 'Sections'),
    rows,
    h('small', { class: 'field-error' }),
    h('div', { class: 'row spread' }, add, h('span', {}, 'Capacity: ', capacity)),
  );
  const sections = [];

  function update() {
    let total = 0;
    sections.forEach((section, i) => {
      section.row.dataset.field = `sections[${i}]`;
      for (const [key, input] of Object.entries(section.inputs)) input.name = `sections[${i}].${key}`;
      section.remove.disabled = sections.length === 1;
      const seats = numberOf(section.inputs.rows) * numberOf(section.inputs.seats_per_row);
      section.capacity.textContent = seats > 0 ? `${count(seats, 'seat')}` : '';
      total += seats > 0 ? seats : 0;
    });
    capacity.textContent = count(total, 'seat');
  }

  function addSection() {
    const inputs = {
      name: h('input', { required: true, maxlength: '200', 'data-testid': 'section-name', placeholder: 'Stalls' }),
      rows: h('input', { type: 'number', min: '1', max: '500', required: true, 'data-testid': 'section-rows', placeholder: '20' }),
      seats_per_row: h('input', { type: 'number', min: '1', max: '500', required: true, 'data-testid': 'section-seats', placeholder: '25' }),
      price_cents: h('input', { type: 'number', min: '0', step: '0.01', required: true, 'data-testid': 'section-price', placeholder: '90.00' }),
    };
    const section = {
      inputs,
      capacity: h('small', { class: 'muted section-capacity' }),
      remove: h('button', { class: 'btn btn-sm btn-danger', type: 'button', 'aria-label': 'Remove section' }, 'Remove'),
    };
    section.row = h(
      'div',
      { class: 'section-row', oninput: update },
      h('div', { class: 'section-name' }, field('Section name', inputs.name)),
      field('Rows', inputs.rows),
      field('Seats per row', inputs.seats_per_row),
      field('Price ($)', inputs.price_cents),
      section.remove,
      section.capacity,
      h('small', { class: 'field-error' }),
    );
    section.remove.addEventListener('click', () => {
      sections.splice(sections.indexOf(section), 1);
      section.row.remove();
      update();
    });
    sections.push(section);
    rows.append(section.row);
    update();
  }

  function reset() {
    sections.splice(0).forEach((section) => section.row.remove());
    addSection();
  }

  add.addEventListener('click', () => {
    addSection();
    sections.at(-1).inputs.name.focus();
  });
  reset();
  return {
    element,
    reset,
    value: () =>
      sections.map(({ inputs }) => ({
        name: inputs.name.value.trim(),
        rows: numberOf(inputs.rows),
        seats_per_row: numberOf(inputs.seats_per_row),
        price_cents: inputs.price_cents.value.trim() === '' ? null : Math.round(Number(inputs.price_cents.value) * 100),
      })),
  };
}

function createForm(onCreated) {
  const { inputs, elements } = eventFields();
  const sections = sectionBuilder();
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', 'data-testid': 'create-event' }, 'Create event');
  const form = h('form', { class: 'form', novalidate: true }, elements, sections.element, h('div', {}, submit));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, async () => {
      try {
        const event = await createEvent({ ...eventValues(inputs), sections: sections.value() });
        clearErrors(form);
        form.reset();
        sections.reset();
        onCreated(event);
      } catch (err) {
        showFormError(form, err);
      }
    });
  });
  return form;
}

function eventRow(event) {
  const row = h(
    'article',
    { class: 'card list-row', 'data-testid': 'admin-event-row', 'data-event-id': event.id },
    h(
      'div',
      {},
      h('h3', {}, h('a', { href: `#/events/${event.id}` }, event.name)),
      h('div', { class: 'muted small' }, `${event.venue} · ${dateTime(event.starts_at)} · ${number(event.booked_seats)} of ${count(event.capacity, 'seat')} sold${event.held_seats ? `, ${number(event.held_seats)} held` : ''}`),
    ),
    h(
      'div',
      { class: 'actions' },
      h('a', { class: 'btn btn-sm', href: `#/admin/events/${event.id}`, 'data-testid': 'edit-event' }, 'Edit'),
      h('button', { class: 'btn btn-sm btn-danger', type: 'button', 'data-testid': 'delete-event', onclick: () => remove(event, row) }, 'Delete'),
    ),
  );
  return row;
}

async function remove(event, row) {
  if (await confirmDelete(event)) {
    row.remove();
    showMessage(`Deleted “${event.name}”.`, 'success');
  }
}

export default async function adminEventsView(root, { signal }) {
  setTitle('Admin · Events');
  const list = h('div', { class: 'list' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No events yet.');
  const more = h('button', { class: 'btn', type: 'button', 'data-testid': 'more', hidden: true }, 'More events');
  const form = createForm((event) => {
    showMessage(['Created ', h('a', { href: `#/events/${event.id}` }, event.name), ` with ${count(event.capacity, 'seat')}.`], 'success');
    load();
  });
  root.append(
    adminTabs('/admin'),
    h(
      'div',
      { class: 'stack' },
      h('section', { class: 'panel stack' }, h('h2', {}, 'New event'), form),
      h('section', { class: 'stack' }, h('h2', {}, 'All events'), list, empty, h('div', { class: 'center' }, more)),
    ),
  );

  const load = pager({
    list,
    more,
    empty,
    fetchPage: async (cursor) => {
      const page = await listEvents({ limit: PAGE_SIZE, cursor }, signal);
      return { items: page.events.map(eventRow), next_cursor: page.next_cursor };
    },
  });
  await load();
}
