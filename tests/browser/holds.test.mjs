// Scenario 3, holds at the checkout. A visitor asking for the best seats is
// sent to sign in and comes back to the same choice. A buyer asks for the best two seats of a
// section and finds them marked on the map as the API's hold; is told plainly
// when no block fits or the 10-seat limit is reached; finds a hold again
// after reloading the page; releases it. Then, on an event whose holds last
// 2 seconds, lets a hold run out: the checkout says so, Confirm is
// impossible, and the seats are on sale again on the map and in the API.
// Runs on a desktop and on a phone viewport.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ADMIN,
  api,
  assertFitsViewport,
  BASE,
  clickSeat,
  inDays,
  launch,
  loginToken,
  newPage,
  newUser,
  scenario,
  screenshot,
  seatStatusesFromApi,
  signIn,
  statusOnMap,
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
const mineOnMap = (page) => page.evaluate(() => window.evently.seatMap.mine());

async function createEvent(fields) {
  const body = { name: unique('Hold Test'), venue: 'Evently Playhouse', starts_at: inDays(20), ...fields };
  return (await api('POST', '/admin/events', { token: adminToken, body, expect: 201 })).body;
}

/** The one active hold of `token` for the event, as the API reads it (null when there is none). */
async function activeHold(token, eventId) {
  const { body } = await api('GET', `/holds?event_id=${eventId}`, { token, expect: 200 });
  assert.ok(body.holds.length <= 1, `at most one active hold (${body.holds.length})`);
  return body.holds[0] ?? null;
}

/** The hold of the checkout on the page, as the API reads it (whatever its status by now). */
async function shownHold(page, token) {
  const id = await page.getByTestId('checkout').getAttribute('data-hold-id');
  return (await api('GET', `/holds/${id}`, { token, expect: 200 })).body;
}

for (const { name: device, ...display } of VIEWPORTS) {
  describe(`buyer holds the best available seats and releases them (${device})`, { timeout: 180_000 }, () => {
    const step = scenario(test);
    let page;
    let event;
    let seats; // every seat of the event, from the API
    let buyer;
    let other; // another buyer, holding two seats of the Circle
    const seat = (section, row, number) => seats.find((s) => s.section === section && s.row === row && s.number === number);

    before(async () => {
      event = await createEvent({
        sections: [
          { name: 'Circle', rows: 3, seats_per_row: 8, price_cents: 3000 },
          { name: 'Stalls', rows: 4, seats_per_row: 10, price_cents: 5000 },
        ],
      });
      seats = (await api('GET', `/events/${event.id}/seats`, { expect: 200 })).body.seats;
      [buyer, other] = await Promise.all([newUser('Grace Hopper'), newUser('Other Buyer')]);
      // Circle row 1, seats 4 and 5: every pair left in that row would strand a single seat.
      await api('POST', '/holds', {
        token: other.token,
        body: { event_id: event.id, seat_ids: [seat('Circle', 1, 4).id, seat('Circle', 1, 5).id] },
        expect: 201,
      });
      page = await newPage(browser, display);
    });
    after(async () => {
      await page?.context().close();
      if (event) await api('DELETE', `/admin/events/${event.id}`, { token: adminToken });
    });

    step('is asked to sign in first, and comes back to the same choice', async () => {
      await page.goto(`${BASE}/#/events/${event.id}`);
      await until(page, () => window.evently?.seatMap);
      await page.getByTestId('best-quantity').selectOption('3');
      await page.getByTestId('best-section').selectOption('Stalls');
      await page.getByTestId('best-available').click();
      await page.waitForURL((url) => url.hash.startsWith('#/login?next='));
      await page.getByTestId('message').getByText('Please sign in to hold seats.').waitFor();
      await page.getByTestId('email').fill(buyer.email);
      await page.getByTestId('password').fill(buyer.password);
      await page.getByTestId('submit').click();
      await page.waitForURL(`**/#/events/${event.id}`);
      await until(page, () => window.evently?.seatMap);
      await page.getByTestId('user-name').getByText(buyer.name).waitFor();
      assert.equal(await page.getByTestId('best-quantity').inputValue(), '3');
      assert.equal(await page.getByTestId('best-section').inputValue(), 'Stalls');
      assert.equal(await activeHold(buyer.token, event.id), null, 'nothing is held until asked again');
    });

    step('sees the seats held by someone else', async () => {
      for (const number of [4, 5]) assert.equal(await statusOnMap(page, seat('Circle', 1, number).id), 'held');
      await page.getByTestId('availability').getByText('62 of 64 seats available · 2 held').waitFor();
      const legend = page.getByLabel('Legend');
      for (const text of ['Selected', 'Held for you', 'Held', 'Booked']) await legend.getByText(text, { exact: true }).waitFor();
      assert.equal(await page.getByTestId('checkout').count(), 0, 'no checkout without a hold');
    });

    step('is told when no block of that many seats fits', async () => {
      await page.getByTestId('best-quantity').selectOption('10');
      await page.getByTestId('best-section').selectOption('Circle');
      await page.getByTestId('best-available').click();
      const message = page.getByTestId('message');
      await message.getByText('There are no 10 seats together left in Circle. Try fewer seats or another section.').waitFor();
      assert.equal(await message.getAttribute('data-kind'), 'error');
      assert.equal(await page.getByTestId('checkout').count(), 0);
      assert.equal(await activeHold(buyer.token, event.id), null, 'nothing was held');
    });

    step('is told when a seat was taken before the hold', async () => {
      const taken = seat('Stalls', 1, 1);
      await clickSeat(page, taken.id);
      assert.equal(await statusOnMap(page, taken.id), 'selected');
      // Right after one of the page's polls, so that the next one cannot see the seat taken before Hold is pressed.
      await page.waitForResponse((res) => new URL(res.url()).pathname === `/events/${event.id}/seats`);
      await api('POST', '/holds', { token: other.token, body: { event_id: event.id, seat_ids: [taken.id] }, expect: 201 });
      await page.getByTestId('hold').click();
      await page.getByTestId('message').getByText('Sorry, Stalls row 1 seat 1 has just been taken and removed from your selection. Please choose again.').waitFor();
      await waitForStatus(page, [taken.id], 'held');
      assert.equal(await activeHold(buyer.token, event.id), null, 'nothing was held');
    });

    step('is told about the 10-seat limit, and sees the seats held in another tab', async () => {
      // Nine seats held meanwhile "in another tab" (through the API).
      const nine = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => seat('Stalls', 4, n).id);
      const elsewhere = (await api('POST', '/holds', { token: buyer.token, body: { event_id: event.id, seat_ids: nine }, expect: 201 })).body;
      await page.getByTestId('best-quantity').selectOption('2');
      await page.getByTestId('best-available').click();
      await page.getByTestId('message').getByText('You can hold at most 10 seats for this event at a time.', { exact: false }).waitFor();
      const checkout = page.getByTestId('checkout');
      await checkout.waitFor();
      assert.equal(Number(await checkout.getAttribute('data-hold-id')), elsewhere.id);
      assert.deepEqual(await mineOnMap(page), ids(elsewhere.seats));
      // Released from here: back on sale.
      await page.getByTestId('release').click();
      await page.getByTestId('message').getByText('Released Stalls row 4 seats 1–9.').waitFor();
      assert.equal(await page.getByTestId('checkout').count(), 0);
      assert.equal((await api('GET', `/holds/${elsewhere.id}`, { token: buyer.token, expect: 200 })).body.status, 'released');
      await waitForStatus(page, nine, 'available');
    });

    step('holds the best two seats of the Circle: the map shows the API\'s hold', async () => {
      await page.getByTestId('best-quantity').selectOption('2');
      await page.getByTestId('best-section').selectOption('Circle');
      await page.getByTestId('best-available').click();
      const checkout = page.getByTestId('checkout');
      await checkout.waitFor();
      const hold = await activeHold(buyer.token, event.id);
      assert.ok(hold, 'the API has the hold');
      assert.equal(Number(await checkout.getAttribute('data-hold-id')), hold.id);
      // By the contract's order: row 1 would strand a seat whichever pair, so row 2, its centre pair.
      assert.deepEqual(ids(hold.seats), ids([seat('Circle', 2, 4), seat('Circle', 2, 5)]));
      // Exactly the hold's seats are drawn as this buyer's.
      assert.deepEqual(await mineOnMap(page), ids(hold.seats));
      for (const s of hold.seats) assert.equal(await statusOnMap(page, s.id), 'yours');
      for (const number of [4, 5]) assert.equal(await statusOnMap(page, seat('Circle', 1, number).id), 'held');
      await page.getByTestId('held-seats').getByText('Circle row 2 seats 4–5').waitFor();
      assert.equal(await page.getByTestId('checkout-total').textContent(), '2 seats · $60.00');
      await page.getByTestId('availability').getByText('59 of 64 seats available · 5 held').waitFor();
      assert.equal(await page.getByTestId('best-available').isDisabled(), true, 'one checkout at a time');
      await assertFitsViewport(page, 'event page with a best-available hold');
      await screenshot(page, `${device}-holds-01-best-available`, { docs: device === 'desktop' && 'best-available' });
    });

    step('finds the hold again after reloading the page', async () => {
      const before = await activeHold(buyer.token, event.id);
      await page.reload();
      const checkout = page.getByTestId('checkout');
      await checkout.waitFor();
      assert.equal(Number(await checkout.getAttribute('data-hold-id')), before.id);
      await until(page, (want) => JSON.stringify(window.evently?.seatMap?.mine()) === want, JSON.stringify(ids(before.seats)));
      await page.getByTestId('held-seats').getByText('Circle row 2 seats 4–5').waitFor();
    });

    step('releases the hold: the seats are on sale again', async () => {
      const hold = await activeHold(buyer.token, event.id);
      await page.getByTestId('release').click();
      await page.getByTestId('message').getByText('Released Circle row 2 seats 4–5.').waitFor();
      assert.equal(await page.getByTestId('checkout').count(), 0);
      assert.equal((await api('GET', `/holds/${hold.id}`, { token: buyer.token, expect: 200 })).body.status, 'released');
      assert.deepEqual(await seatStatusesFromApi(event.id, ids(hold.seats)), ['available', 'available']);
      await waitForStatus(page, ids(hold.seats), 'available');
      assert.deepEqual(await mineOnMap(page), []);
      // Picking works again.
      assert.equal(await page.getByTestId('best-available').isEnabled(), true);
      await clickSeat(page, hold.seats[0].id);
      assert.equal(await statusOnMap(page, hold.seats[0].id), 'selected');
      assert.deepEqual(page.errors, [], 'no script errors in the page');
    });
  });

  describe(`a hold runs out (${device})`, { timeout: 180_000 }, () => {
    const step = scenario(test);
    let page;
    let event;
    let seats;
    let buyer;
    let hold;

    before(async () => {
      event = await createEvent({ hold_seconds: 2, sections: [{ name: 'Stalls', rows: 2, seats_per_row: 6, price_cents: 2000 }] });
      assert.equal(event.hold_seconds, 2);
      seats = (await api('GET', `/events/${event.id}/seats`, { expect: 200 })).body.seats.slice(2, 4);
      buyer = await newUser('Expiring Buyer');
      page = await newPage(browser, display);
      // Playwright's clock: runs as real time does until paused (the last step).
      await page.clock.install();
    });
    after(async () => {
      await page?.context().close();
      if (event) await api('DELETE', `/admin/events/${event.id}`, { token: adminToken });
    });

    step('holds two seats for 2 seconds', async () => {
      await signIn(page, buyer, `/events/${event.id}`);
      await until(page, () => window.evently?.seatMap);
      for (const s of seats) await clickSeat(page, s.id);
      await page.getByTestId('hold').click();
      hold = await shownHold(page, buyer.token);
      assert.deepEqual(ids(hold.seats), ids(seats));
      assert.equal(Date.parse(hold.expires_at) - Date.parse(hold.created_at), 2000);
    });

    step('the checkout shows the hold expired, and Confirm is impossible', async () => {
      const checkout = page.getByTestId('checkout');
      await page.locator('[data-testid="checkout"][data-state="expired"]').waitFor({ timeout: 10_000 });
      await checkout.getByRole('heading', { name: 'Hold expired' }).waitFor();
      assert.equal(await page.getByTestId('countdown').textContent(), '0:00');
      assert.equal(await page.getByTestId('confirm').isDisabled(), true);
      assert.equal((await api('GET', `/holds/${hold.id}`, { token: buyer.token, expect: 200 })).body.status, 'expired');
      const { status, body } = await api('POST', `/holds/${hold.id}/confirm`, { token: buyer.token });
      assert.equal(status, 409);
      assert.equal(body.code, 'hold_expired');
      await assertFitsViewport(page, 'event page with an expired hold');
      await screenshot(page, `${device}-holds-02-expired`);
    });

    step('the seats are available again, on the map and in the API', async () => {
      assert.deepEqual(await seatStatusesFromApi(event.id, ids(seats)), ['available', 'available']);
      await waitForStatus(page, ids(seats), 'available');
      assert.deepEqual(await mineOnMap(page), []);
      await page.getByTestId('availability').getByText('12 of 12 seats available').waitFor();
    });

    step('chooses seats again', async () => {
      await page.getByTestId('pick-again').click();
      assert.equal(await page.getByTestId('checkout').count(), 0);
      await clickSeat(page, seats[0].id);
      assert.equal(await statusOnMap(page, seats[0].id), 'selected');
      await page.getByTestId('selection-total').getByText('1 seat · $20.00').waitFor();
    });

    step('a Confirm answered 409 hold_expired shows the hold expired', async () => {
      // The page's clock stops, so its countdown cannot reach zero; the server's runs on.
      await page.clock.pauseAt(Date.now() + 200);
      await page.getByTestId('hold').click();
      const second = await shownHold(page, buyer.token);
      assert.equal(second.status, 'active');
      await new Promise((resolve) => setTimeout(resolve, 2600));
      assert.equal((await api('GET', `/holds/${second.id}`, { token: buyer.token, expect: 200 })).body.status, 'expired');
      assert.equal(await page.locator('[data-testid="checkout"][data-state="active"]').count(), 1, 'the page still counts down');
      await page.getByTestId('confirm').click();
      await page.getByTestId('message').getByText('Your hold expired before it could be confirmed; its seats went back on sale.').waitFor();
      await page.locator('[data-testid="checkout"][data-state="expired"]').waitFor();
      assert.equal(await page.getByTestId('confirm').isDisabled(), true);
      await page.clock.resume();
      await waitForStatus(page, [seats[0].id], 'available');
      const { body } = await api('GET', '/bookings', { token: buyer.token, expect: 200 });
      assert.equal(body.bookings.length, 0, 'nothing was booked');
      assert.deepEqual(page.errors, [], 'no script errors in the page');
    });
  });
}
