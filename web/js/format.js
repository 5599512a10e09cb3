// Display formatting in the visitor's locale and time zone. The API has no
// currency field; prices are shown in US dollars.

const CURRENCY = 'USD';
const moneyFormat = new Intl.NumberFormat(undefined, { style: 'currency', currency: CURRENCY });
const compactMoneyFormat = new Intl.NumberFormat(undefined, {
  style: 'currency',
  currency: CURRENCY,
  notation: 'compact',
});
const numberFormat = new Intl.NumberFormat();
const percentFormat = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
});
const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });

export const money = (cents) => moneyFormat.format(cents / 100);
export const compactMoney = (cents) => compactMoneyFormat.format(cents / 100);
export const number = (n) => numberFormat.format(n);
export const percent = (ratio) => percentFormat.format(ratio);
export const dateTime = (iso) => dateTimeFormat.format(new Date(iso));
/** A UTC calendar day ("2027-02-01") as a short label ("1 Feb"). */
export const day = (isoDate) => dayFormat.format(new Date(`${isoDate}T00:00:00Z`));

/** "a", "a and b", "a, b and c". */
export const sentenceList = (items) =>
  items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

/** A countdown's time left: "9:05" for 545 seconds, "1:02:03" from an hour on. */
export function clock(seconds) {
  const pad = (n) => String(n).padStart(2, '0');
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h ? `${h}:${pad(m)}:${pad(seconds % 60)}` : `${m}:${pad(seconds % 60)}`;
}

/** "1 seat", "3 seats". */
export const count = (n, noun) => `${number(n)} ${noun}${n === 1 ? '' : 's'}`;

export function priceRange(min, max) {
  if (max === 0) return 'Free';
  return min === max ? money(min) : `${money(min)} – ${money(max)}`;
}

/** An ISO time as the value of an <input type="datetime-local"> (local time, minutes). */
export function toLocalInput(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** An <input type="datetime-local"> value (local time) as an RFC 3339 UTC time; anything unparsable is left for the API to refuse. */
export function fromLocalInput(value) {
  const d = new Date(value);
  return value && !Number.isNaN(d.getTime()) ? d.toISOString() : value;
}
