// Scenario 4, the waitlist. On a sold-out event a buyer joins the waitlist
// for two seats behind someone waiting for three, sees their place on the
// event page and in "My bookings"; another user cancels a booking of two
// seats, and the page shows the offer (those seats, held for the buyer, with
// a countdown) that nobody outside the list can take; the buyer confirms it
// and has the booking. A second buyer declines an offer: the seats go to the
// next in line. Runs on a desktop and on a phone viewport.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ADMIN,
  api,
  assertFitsViewport,
  BASE,
  inDays,
  launch,
  loginToken,
  newPage,
  newUser,
  scenario,
  screenshot,
  seconds,
  signIn,
  unique,
  until,
  VIEWPORTS,
  waitForStatus,
} from './lib.mjs';

let browser;
let adminToken;
before(async () => {
  browser = await launch();
  adminToken = await loginToken(ADMIN);
});
after(() => browser?.close());

const ids = (seats) => seats.map((s) => s.id).sort((a, b) => a - b);

/** A sold-out event of one section, 2 rows of 4 seats: {event, seats, bookings} (row 1; row 2 seats 1–2; row 2 seats 3–4, all of `fan`). */
async function soldOutEvent(fan) {
  const body = {
    name: unique('Waitlist Test'),
    venue: 'Evently Hall',
    starts_at: inDays(30),
    sections: [{ name: 'Stalls', rows: 2, seats_per_row: 4, price_cents: 4000 }],
  };
  const event = (await api('POST', '/admin/events', { token: adminToken, body, expect: 201 })).body;
  const seats = (await api('GET', `/events/${event.id}/seats`, { expect: 200 })).body.seats;
  const at = (row, numbers) => numbers.map((n) => seats.find((s) => s.row === row && s.number === n).id);
  const bookings = [];
  for (const seatIds of [at(1, [1, 2, 3, 4]), at(2, [1, 2]), at(2, [3, 4])]) {
    bookings.push((await api('POST', '/bookings', { token: fan.token, body: { event_id: event.id, seat_ids: seatIds }, expect: 201 })).body);
  }
  return { event, seats, bookings };
}

/** The page's remembered entry id for the event (the API lists no entries). */
const rememberedEntry = (page, user, eventId) =>
  page.evaluate(
    ([key, id]) => JSON.parse(localStorage.getItem(key) ?? '[]').find((e) => e.eventId === id)?.entryId ?? null,
    [`evently.waitlist.${user.id}`, eventId],
  );

const entry = async (id, token) => (await api('GET', `/waitlist/${id}`, { token, expect: 200 })).body;

for (const { name: device, ...display } of VIEWPORTS) {
  describe(`a buyer on the waitlist is offered freed seats and books them (${device})`, { timeout: 180_000 }, () => {
    const step = scenario(test);
    let page;
    let event;
    let bookings;
    let fan; // booked every seat
    let early; // waiting for three seats, ahead of the buyer
    let earlyEntry;
    let buyer;
    let entryId;

    before(async () => {
      [fan, early, buyer] = await Promise.all([newUser('Fan'), newUser('Early Bird'), newUser('Ada Lovelace')]);
      buyer.id = (await api('GET', '/me', { token: buyer.token, expect: 200 })).body.id;
      ({ event, bookings } = await soldOutEvent(fan));
      earlyEntry = (await api('POST', `/events/${event.id}/waitlist`, { token: early.token, body: { quantity: 3 }, expect: 201 })).body;
      assert.equal(earlyEntry.status, 'waiting');
      page = await newPage(browser, display);
    });
    after(async () => {
      await page?.context().close();
      if (event) await api('DELETE', `/admin/events/${event.id}`, { token: adminToken });
    });

    step('sees the event sold out, in the list and on its page with the waitlist', async () => {
      await signIn(page, buyer, '/');
      await page.getByTestId('search').fill(event.name);
      const card = page.getByTestId('event-card').filter({ hasText: event.name });
      await card.getByTestId('event-availability').getByText('Sold out · waitlist').waitFor();
      await card.click();
      await page.waitForURL(`**/#/events/${event.id}`);
      await until(page, () => window.evently?.seatMap);
      await page.getByTestId('availability').getByText('0 of 8 seats available').waitFor();
      const panel = page.getByTestId('waitlist');
      await panel.getByRole('heading', { name: 'Sold out' }).waitFor();
      assert.equal(await panel.getAttribute('data-status'), 'none');
      assert.equal(await page.getByTestId('join-waitlist').isVisible(), true);
    });

    step('joins for two seats: number 2 in line, behind the entry for three', async () => {
      await page.getByTestId('waitlist-quantity').selectOption('2');
      await page.getByTestId('waitlist-section').selectOption('Stalls');
      await page.getByTestId('join-waitlist').click();
      const panel = page.locator('[data-testid="waitlist"][data-status="waiting"]');
      await panel.waitFor();
      await panel.getByText('You are number 2 in line for 2 seats in Stalls.', { exact: false }).waitFor();
      assert.equal(await page.getByTestId('join-waitlist').isVisible(), false, 'one place per event');
      entryId = await rememberedEntry(page, buyer, event.id);
      assert.ok(entryId, 'the page remembers the entry');
      const mine = await entry(entryId, buyer.token);
      assert.equal(mine.status, 'waiting');
      assert.equal(mine.position, 2);
      assert.equal(mine.quantity, 2);
      assert.equal(mine.section, 'Stalls');
      await assertFitsViewport(page, 'event page on the waitlist');
    });

    step('finds the place in "My bookings", and again on the event page after a reload', async () => {
      await page.getByTestId('nav-bookings').click();
      const row = page.locator(`[data-testid="waitlist-row"][data-entry-id="${entryId}"]`);
      await row.waitFor();
      assert.equal(await row.getAttribute('data-status'), 'waiting');
      await row.getByText('You are number 2 in line for 2 seats in Stalls.', { exact: false }).waitFor();
      await assertFitsViewport(page, 'my bookings with a waitlist place');
      await page.goto(`${BASE}/#/events/${event.id}`);
      await page.reload();
      await page.locator('[data-testid="waitlist"][data-status="waiting"]').getByText('number 2 in line', { exact: false }).waitFor();
    });

    step('another user cancels two seats: the offer appears with its countdown, and no outsider can take them', async () => {
      const freed = bookings[2];
      await api('DELETE', `/bookings/${freed.id}`, { token: fan.token, expect: 200 });
      // First fit: the entry for three cannot be met by two seats and keeps its place.
      const offer = page.locator('[data-testid="checkout"][data-offer="true"]');
      await offer.waitFor();
      const mine = await entry(entryId, buyer.token);
      assert.equal(mine.status, 'offered');
      assert.deepEqual(ids(mine.hold.seats), ids(freed.seats));
      assert.equal(Number(await offer.getAttribute('data-hold-id')), mine.hold.id);
      await offer.getByRole('heading', { name: 'Seats offered to you' }).waitFor();
      await page.getByTestId('held-seats').getByText('Stalls row 2 seats 3–4').waitFor();
      assert.equal(await page.getByTestId('checkout-total').textContent(), '2 seats · $80.00');
      const left = seconds(await page.getByTestId('countdown').textContent());
      assert.ok(left > 540 && left <= 600, `the offer lasts the event's 10 minutes (${left} s left)`);
      await page.locator('[data-testid="waitlist"][data-status="offered"]').waitFor();
      await waitForStatus(page, ids(freed.seats), 'yours');
      const earlyNow = await entry(earlyEntry.id, early.token);
      assert.equal(earlyNow.status, 'waiting');
      assert.equal(earlyNow.position, 1);
      const outsider = await api('POST', '/holds', { token: fan.token, body: { event_id: event.id, seat_ids: ids(freed.seats) } });
      assert.equal(outsider.status, 409);
      assert.equal(outsider.body.code, 'seat_unavailable');
      await assertFitsViewport(page, 'event page with a waitlist offer');
      await screenshot(page, `${device}-waitlist-01-offer`, { docs: device === 'desktop' && 'waitlist-offer' });
    });

    step('confirms the offer: the booking has its seats', async () => {
      const { hold } = await entry(entryId, buyer.token);
      await page.getByTestId('confirm').click();
      await page.getByTestId('message').getByText('Booked Stalls row 2 seats 3–4 for $80.00.', { exact: false }).waitFor();
      assert.equal(await page.locator('[data-testid="checkout"]').count(), 0);
      await page.locator('[data-testid="waitlist"][data-status="fulfilled"]').getByText('Your waitlist offer is booked.').waitFor();
      assert.equal((await entry(entryId, buyer.token)).status, 'fulfilled');
      const { body } = await api('GET', '/bookings', { token: buyer.token, expect: 200 });
      assert.equal(body.bookings.length, 1);
      assert.equal(body.bookings[0].status, 'confirmed');
      assert.deepEqual(ids(body.bookings[0].seats), ids(hold.seats));
      await waitForStatus(page, ids(hold.seats), 'booked');
    });

    step('"My bookings" lists the booking and no longer the waitlist place', async () => {
      await page.getByTestId('nav-bookings').click();
      await page.getByTestId('booking-row').waitFor();
      assert.equal(await page.getByTestId('booking-row').count(), 1);
      await page.getByTestId('booking-row').getByText('Stalls row 2 seat 3, Stalls row 2 seat 4').waitFor();
      assert.equal(await page.getByTestId('waitlist-row').count(), 0);
      assert.deepEqual(page.errors, [], 'no script errors in the page');
    });
  });

  describe(`a buyer declines a waitlist offer: it goes to the next in line (${device})`, { timeout: 180_000 }, () => {
    const step = scenario(test);
    let page;
    let event;
    let bookings;
    let fan;
    let buyer;
    let next; // joins after the buyer
    let nextEntry;

    before(async () => {
      [fan, buyer, next] = await Promise.all([newUser('Fan'), newUser('Decliner'), newUser('Next In Line')]);
      ({ event, bookings } = await soldOutEvent(fan));
      page = await newPage(browser, display);
    });
    after(async () => {
      await page?.context().close();
      if (event) await api('DELETE', `/admin/events/${event.id}`, { token: adminToken });
    });

    step('joins for one seat, first in line', async () => {
      await signIn(page, buyer, `/events/${event.id}`);
      await page.getByTestId('waitlist-quantity').selectOption('1');
      await page.getByTestId('join-waitlist').click();
      await page.locator('[data-testid="waitlist"][data-status="waiting"]').getByText('You are number 1 in line for 1 seat, any section.', { exact: false }).waitFor();
      nextEntry = (await api('POST', `/events/${event.id}/waitlist`, { token: next.token, body: { quantity: 2 }, expect: 201 })).body;
      assert.equal(nextEntry.position, 2);
    });

    step('is offered a freed seat, and declines it: the next in line is offered the seats', async () => {
      await api('DELETE', `/bookings/${bookings[1].id}`, { token: fan.token, expect: 200 });
      const offer = page.locator('[data-testid="checkout"][data-offer="true"]');
      await offer.waitFor();
      // One seat of the freed pair; the other cannot meet the next entry, which wants two.
      const held = await api('GET', `/holds?event_id=${event.id}`, { token: buyer.token, expect: 200 });
      assert.equal(held.body.holds.length, 1);
      assert.equal(held.body.holds[0].seats.length, 1);
      await page.getByTestId('decline').click();
      await page.getByTestId('message').getByText('and left the waitlist; the seats go to the next in line.', { exact: false }).waitFor();
      assert.equal(await offer.count(), 0);
      await page.locator('[data-testid="waitlist"][data-status="left"]').getByText('You left the waitlist.', { exact: false }).waitFor();
      const released = await api('GET', `/holds/${held.body.holds[0].id}`, { token: buyer.token, expect: 200 });
      assert.equal(released.body.status, 'released');
      const nextNow = await entry(nextEntry.id, next.token);
      assert.equal(nextNow.status, 'offered');
      assert.deepEqual(ids(nextNow.hold.seats), ids(bookings[1].seats));
      // Sold out again (the seats are the next entry's offer): the buyer may join again.
      await page.getByTestId('join-waitlist').waitFor();
      assert.deepEqual(page.errors, [], 'no script errors in the page');
    });
  });
}
