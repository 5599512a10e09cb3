// Form building blocks and placing the API's validation errors next to fields.
import { h } from './dom.js';
import { count, money } from './format.js';
import { errorText, showError, showMessage } from './ui.js';

/** A labelled control with a slot for its error; the control's `name` is the API field it edits. */
export function field(label, control, hint) {
  return h(
    'label',
    { class: 'field' },
    h('span', {}, label),
    control,
    hint && h('small', { class: 'muted small' }, hint),
    h('small', { class: 'field-error' }),
  );
}

export function clearErrors(form) {
  for (const slot of form.querySelectorAll('.field-error')) slot.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/**
 * Puts each {field, message} next to the control named `field` (or the
 * element with data-field="field"); returns the errors that found no place.
 */
function placeErrors(form, errors) {
  const unplaced = [];
  for (const { field: name, message } of errors) {
    const selector = CSS.escape(name);
    const target = form.querySelector(`[name="${selector}"]`) ?? form.querySelector(`[data-field="${selector}"]`);
    const slot = target && (target.closest('.field') ?? target).querySelector(':scope > .field-error');
    if (!slot) {
      unplaced.push(`${name}: ${message}`);
      continue;
    }
    target.setAttribute('aria-invalid', 'true');
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
  }
  return unplaced;
}

/**
 * Shows a failed submission: field errors next to their fields, the rest in
 * the message area. `codeFields` maps a problem code to the field it is about
 * (e.g. {email_taken: 'email'}).
 */
export function showFormError(form, err, codeFields = {}) {
  clearErrors(form);
  if (!err.problem) return showError(err);
  const errors = [...(err.problem.errors ?? [])];
  if (codeFields[err.code]) errors.push({ field: codeFields[err.code], message: err.message });
  const unplaced = placeErrors(form, errors);
  const summary = err.code === 'validation_failed' && errors.length > unplaced.length ? 'Please correct the highlighted fields.' : errorText(err);
  showMessage([summary, ...unplaced.map((text) => h('div', { class: 'small' }, text))], 'error');
  form.querySelector('[aria-invalid="true"]')?.focus();
}

/** Runs `action` with `button` disabled, so a slow request cannot be sent twice. */
export async function busy(button, action) {
  button.disabled = true;
  try {
    return await action();
  } finally {
    button.disabled = false;
  }
}

/**
 * How many seats (1..max, 2 preselected) and where (any section, or one of
 * the event's), as two inline fields with the test ids `${prefix}-quantity` and
 * `${prefix}-section`: the best-available hold and the waitlist ask the same.
 * Returns {fields, value() ({quantity, section or null}), set(choice)}.
 */
export function seatChoice(event, prefix, max) {
  const quantity = h(
    'select',
    { class: 'input', name: 'quantity', 'data-testid': `${prefix}-quantity` },
    Array.from({ length: max }, (_, i) => h('option', { value: String(i + 1), selected: i === 1 }, count(i + 1, 'seat'))),
  );
  const section = h(
    'select',
    { class: 'input', name: 'section', 'data-testid': `${prefix}-section` },
    h('option', { value: '' }, 'Any section'),
    event.sections.map((s) => h('option', { value: s.name }, `${s.name} · ${money(s.price_cents)}`)),
  );
  return {
    fields: [
      h('label', { class: 'inline-field' }, h('span', {}, 'Seats'), quantity),
      h('label', { class: 'inline-field' }, h('span', {}, 'Section'), section),
    ],
    value: () => ({ quantity: Number(quantity.value), section: section.value || null }),
    /** Restores a choice; a section no longer offered falls back to any. */
    set(choice) {
      quantity.value = String(choice.quantity);
      section.value = choice.section ?? '';
      if (section.selectedIndex < 0) section.value = '';
    },
  };
}
