// Scenario 1, a visitor: signs up, finds an event by name, picks two seats on
// the canvas seat map, holds them, watches the checkout count down, confirms
// the hold (a booking), then cancels the booking from "My bookings" and sees
// the seats free again. Runs on a desktop and on a phone viewport.
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
  scenario,
  screenshot,
  seatStatusesFromApi,
  seconds,
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

/** The header shows links and names only (no stray "false"/"null" from links this visitor does not get). */
async function assertCleanNav(page) {
  assert.doesNotMatch(await page.locator('#nav').innerText(), /\b(false|null|undefined)\b/);
}

for (const { name: device, ...display } of VIEWPORTS) {
  describe(`user books and cancels (${device})`, { timeout: 180_000 }, () => {
    const step = scenario(test);
    let page;
    let event;
    let seats; // the two seats to book: Stalls row 3, seats 6 and 7
    let hold; // as the API reads it
    const user = { name: 'Ada Lovelace', email: `${unique('ada').replace(' ', '-')}@example.com`, password: 'analytical-engine' };

    before(async () => {
      // The event is created through the API as the admin; 45.50 and 25.00 a seat.
      event = (
        await api('POST', '/admin/events', {
          token: adminToken,
          expect: 201,
          body: {
            name: unique('Moonlight Sonata Night'),
            venue: 'Evently Concert Hall',
            description: 'An evening of Beethoven piano sonatas.',
            starts_at: inDays(30),
            sections: [
              { name: 'Stalls', rows: 8, seats_per_row: 16, price_cents: 4550 },
              { name: 'Balcony', rows: 4, seats_per_row: 12, price_cents: 2500 },
            ],
          },
        })
      ).body;
      const { body } = await api('GET', `/events/${event.id}/seats`, { expect: 200 });
      seats = [6, 7].map((number) => body.seats.find((s) => s.section === 'Stalls' && s.row === 3 && s.number === number));
      page = await newPage(browser, display);
    });
    after(async () => {
      await page?.context().close();
      if (event) await api('DELETE', `/admin/events/${event.id}`, { token: adminToken });
    });

    step('signs up', async () => {
      await page.goto(`${BASE}/#/signup`);
      await page.getByTestId('nav-sign-in').waitFor();
      await assertCleanNav(page);
      await screenshot(page, `${device}-00-sign-up`);
      await page.getByTestId('name').fill(user.name);
      await page.getByTestId('email').fill(user.email);
      await page.getByTestId('password').fill(user.password);
      await page.getByTestId('submit').click();
      await page.getByTestId('user-name').waitFor();
      assert.equal(await page.getByTestId('user-name').textContent(), user.name);
      await page.getByTestId('message').getByText(`Welcome to Evently, ${user.name}.`).waitFor();
      assert.equal(await page.getByTestId('nav-sign-in').count(), 0);
      assert.equal(await page.getByTestId('nav-admin').count(), 0, 'no Admin link for a user');
      await assertCleanNav(page);
      await page.getByTestId('nav-bookings').waitFor();
      // Signing up returns to the events list.
      assert.match(page.url(), /#\/$/);
      await page.getByTestId('event-card').first().waitFor();
      await screenshot(page, `${device}-01-events`);
    });

    step('finds the event by name and opens it', async () => {
      await page.getByTestId('search').fill(event.name);
      // The search runs shortly after typing stops and is kept in the address.
      await page.waitForURL((url) => url.hash === `#/?q=${encodeURIComponent(event.name)}`);
      const card = page.getByTestId('event-card').filter({ hasText: event.name });
      await card.waitFor();
      // Only matching events remain.
      await until(page, (name) => {
        const cards = [...document.querySelectorAll('[data-testid="event-card"]')];
        return cards.length > 0 && cards.every((c) => c.textContent.includes(name));
      }, event.name);
      assert.match(await card.textContent(), /\$25\.00 – \$45\.50/);
      assert.match(await card.textContent(), /176 seats left/);
      await screenshot(page, `${device}-02-search`);
      await card.click();
      await page.waitForURL(`**/#/events/${event.id}`);
      await page.getByRole('heading', { name: event.name }).waitFor();
      await until(page, () => window.evently?.seatMap);
      assert.equal(await page.title(), `${event.name} · Evently`);
    });

    step('selects two seats on the map and sees the total', async () => {
      for (const seat of seats) assert.equal(await statusOnMap(page, seat.id), 'available');
      assert.equal(await page.getByTestId('hold').isDisabled(), true, 'Hold is disabled with nothing selected');
      for (const seat of seats) await clickSeat(page, seat.id);
      for (const seat of seats) assert.equal(await statusOnMap(page, seat.id), 'selected');
      await page.getByTestId('selection-total').getByText('2 seats · $91.00').waitFor();
      await page.getByText('Stalls row 3 seat 6, Stalls row 3 seat 7').waitFor();
      // The line under the map describes the seat just clicked, with its new status.
      await page.getByText('Stalls row 3 seat 7 · $45.50 · selected').waitFor();
      assert.equal(await page.getByTestId('hold').isEnabled(), true);
      // Clicking a selected seat again releases it; once more selects it again.
      await clickSeat(page, seats[1].id);
      await page.getByTestId('selection-total').getByText('1 seat · $45.50').waitFor();
      await clickSeat(page, seats[1].id);
      await page.getByTestId('selection-total').getByText('2 seats · $91.00').waitFor();
      await page.getByTestId('seat-map').scrollIntoViewIfNeeded();
      await screenshot(page, `${device}-03-seat-map-selected`, { docs: device === 'desktop' && 'seat-map' });
    });

    step('holds the seats: the checkout counts down to the hold\'s expiry', async () => {
      await page.getByTestId('hold').click();
      const checkout = page.getByTestId('checkout');
      await checkout.waitFor();
      assert.equal(await page.getByTestId('hold').isVisible(), false, 'the checkout takes the selection bar\'s place');
      const holdId = Number(await checkout.getAttribute('data-hold-id'));
      hold = (await api('GET', `/holds/${holdId}`, { token: await loginToken(user), expect: 200 })).body;
      assert.equal(hold.status, 'active');
      assert.deepEqual(hold.seats.map((s) => s.id).sort(), seats.map((s) => s.id).sort());
      assert.equal(hold.total_cents, 9100);
      await checkout.getByText('Stalls row 3 seats 6–7').waitFor();
      assert.equal(await page.getByTestId('checkout-total').textContent(), '2 seats · $91.00');
      // Held on the server and drawn as this visitor's hold on the map.
      assert.deepEqual(await seatStatusesFromApi(event.id, seats.map((s) => s.id)), ['held', 'held']);
      await waitForStatus(page, seats.map((s) => s.id), 'yours');
      await page.getByTestId('availability').getByText('174 of 176 seats available · 2 held').waitFor();

      // The countdown is the time left to expires_at (10 minutes by default), and it ticks.
      const countdown = page.getByTestId('countdown');
      const first = seconds(await countdown.textContent());
      const expected = (Date.parse(hold.expires_at) - Date.now()) / 1000;
      assert.ok(Math.abs(first - expected) <= 2, `countdown ${first}s, expires in ${expected}s`);
      assert.ok(first > 590 && first <= 600, `a 10-minute hold shows ${first}s`);
      await until(page, (start) => {
        const [m, s] = document.querySelector('[data-testid="countdown"]').textContent.split(':').map(Number);
        return m * 60 + s < start;
      }, first);

      // While checking out, clicking the map selects nothing.
      const other = (await api('GET', `/events/${event.id}/seats?section=Balcony`, { expect: 200 })).body.seats[0];
      await clickSeat(page, other.id);
      assert.equal(await statusOnMap(page, other.id), 'available');
      await assertFitsViewport(page, 'event page with the checkout');
      await checkout.scrollIntoViewIfNeeded();
      await screenshot(page, `${device}-04-checkout`, { docs: device === 'desktop' && 'checkout' });
    });

    step('confirms the hold: the seats are booked', async () => {
      await page.getByTestId('confirm').click();
      const message = page.getByTestId('message');
      await message.getByText('Booked Stalls row 3 seats 6–7 for $91.00.').waitFor();
      assert.equal(await message.getAttribute('data-kind'), 'success');
      await waitForStatus(page, seats.map((s) => s.id), 'booked');
      assert.equal(await page.getByTestId('checkout').count(), 0, 'the checkout is gone');
      await page.getByTestId('selection-total').getByText('0 seats · $0.00').waitFor();
      assert.equal(await page.getByTestId('hold').isDisabled(), true);
      await page.getByText('174 of 176 seats available').waitFor();
      assert.deepEqual(await seatStatusesFromApi(event.id, seats.map((s) => s.id)), ['booked', 'booked']);
      const token = await loginToken(user);
      const confirmed = (await api('GET', `/holds/${hold.id}`, { token, expect: 200 })).body;
      assert.equal(confirmed.status, 'confirmed');
      const booking = (await api('GET', `/bookings/${confirmed.booking_id}`, { token, expect: 200 })).body;
      assert.equal(booking.status, 'confirmed');
      assert.deepEqual(booking.seats.map((s) => s.id).sort(), seats.map((s) => s.id).sort());
      await screenshot(page, `${device}-05-booked`);
    });

    step('sees the booking under My bookings and cancels it', async () => {
      await page.getByTestId('nav-bookings').click();
      await page.waitForURL('**/#/bookings');
      const row = page.getByTestId('booking-row').filter({ hasText: event.name });
      await row.waitFor();
      assert.equal(await page.getByTestId('booking-row').count(), 1, 'a new user has one booking');
      assert.match(await row.textContent(), /confirmed/);
      assert.match(await row.textContent(), /Stalls row 3 seat 6, Stalls row 3 seat 7/);
      assert.match(await row.textContent(), /\$91\.00/);
      await screenshot(page, `${device}-06-my-bookings`);

      await row.getByTestId('cancel-booking').click();
      const cancelled = page.getByTestId('booking-row').filter({ hasText: 'cancelled' });
      await cancelled.waitFor();
      assert.match(page.dialogs.at(-1), /^Cancel booking #\d+ \(2 seats, \$91\.00\)\?/);
      await page.getByTestId('message').getByText(/Booking #\d+ is cancelled\./).waitFor();
      assert.equal(await cancelled.getByTestId('cancel-booking').count(), 0, 'a cancelled booking has no Cancel button');
      assert.deepEqual(await seatStatusesFromApi(event.id, seats.map((s) => s.id)), ['available', 'available']);
      await screenshot(page, `${device}-07-cancelled`);
    });

    step('sees the seats free again on the event page', async () => {
      await page.getByTestId('booking-row').getByRole('link', { name: event.name }).click();
      await page.waitForURL(`**/#/events/${event.id}`);
      await waitForStatus(page, seats.map((s) => s.id), 'available');
      await page.getByText('176 of 176 seats available').waitFor();
      // They can be picked again.
      await clickSeat(page, seats[0].id);
      assert.equal(await statusOnMap(page, seats[0].id), 'selected');
      await page.getByTestId('selection-total').getByText('1 seat · $45.50').waitFor();
      assert.deepEqual(page.errors, [], 'no script errors in the page');
    });
  });
}
