// Scenario 2, an administrator: signs in, creates an event with the section
// builder (two sections), finds it in the lists, changes its hold time and
// puts it behind an admission queue and back, and after a booking made
// through the API sees it in the analytics figures and charts. Runs on a
// desktop and on a phone viewport, with another event in the admin list whose
// name and venue are single 200-character words (the page must not get wider).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN, api, assertFitsViewport, BASE, inDays, launch, loginToken, newPage, newUser, scenario, screenshot, unique, until, VIEWPORTS } from './lib.mjs';

let browser;
let adminToken;
before(async () => {
  browser = await launch();
  adminToken = await loginToken(ADMIN);
});
after(() => browser?.close());

const fmt = new Intl.NumberFormat('en-US');

for (const { name: device, ...display } of VIEWPORTS) {
  describe(`admin creates an event and reads analytics (${device})`, { timeout: 180_000 }, () => {
    const step = scenario(test);
    let page;
    let eventId;
    const name = unique('Spring Jazz Festival');
    const startsAt = inDays(45); // "…T19:30:00Z"; the page runs in UTC
    const longName = unique('Unbroken').replace(' ', '-').padEnd(200, 'n');
    let longId;

    before(async () => {
      page = await newPage(browser, display);
      // Long ago, so that it is on the first page of the admin list whatever else the stack holds.
      const { body } = await api('POST', '/admin/events', {
        token: adminToken,
        body: { name: longName, venue: 'v'.repeat(200), starts_at: '2000-01-01T19:30:00Z', sections: [{ name: 'A', rows: 1, seats_per_row: 1, price_cents: 100 }] },
        expect: 201,
      });
      longId = body.id;
    });
    after(async () => {
      await page?.context().close();
      if (longId) await api('DELETE', `/admin/events/${longId}`, { token: adminToken });
    });

    step('signs in as admin', async () => {
      await page.goto(`${BASE}/#/login`);
      await page.getByTestId('email').fill(ADMIN.email);
      await page.getByTestId('password').fill(ADMIN.password);
      await page.getByTestId('submit').click();
      await page.getByTestId('user-name').waitFor();
      assert.doesNotMatch(await page.locator('#nav').innerText(), /\b(false|null|undefined)\b/);
      await page.getByTestId('nav-admin').click();
      await page.waitForURL('**/#/admin');
      await page.getByRole('heading', { name: 'New event' }).waitFor();
    });

    step('long names do not make the page wider than the screen', async () => {
      await page.getByTestId('admin-event-row').filter({ hasText: longName.slice(0, 40) }).waitFor();
      await assertFitsViewport(page, 'admin events list');
      await page.getByRole('link', { name: longName }).click();
      await page.getByRole('heading', { name: longName }).waitFor();
      await assertFitsViewport(page, 'event page');
      await page.getByTestId('nav-admin').click();
      await page.getByRole('heading', { name: 'New event' }).waitFor();
    });

    step('creates an event with two sections', async () => {
      await page.getByTestId('event-name').fill(name);
      await page.getByTestId('event-venue').fill('Riverside Amphitheatre');
      await page.getByTestId('event-starts-at').fill(startsAt.slice(0, 16));
      await page.getByTestId('event-description').fill('Three stages of live jazz by the river.');
      const section = (i, key) => page.getByTestId(key).nth(i);
      await section(0, 'section-name').fill('Lawn');
      await section(0, 'section-rows').fill('10');
      await section(0, 'section-seats').fill('20');
      await section(0, 'section-price').fill('45.50');
      await page.getByTestId('capacity').getByText('200 seats').waitFor();
      await page.getByTestId('add-section').click();
      assert.equal(await page.getByTestId('section-name').count(), 2);
      await section(1, 'section-name').fill('Terrace');
      await section(1, 'section-rows').fill('4');
      await section(1, 'section-seats').fill('15');
      await section(1, 'section-price').fill('89.99');
      await page.getByTestId('capacity').getByText('260 seats').waitFor();
      assert.equal(await page.getByTestId('event-hold-seconds').inputValue(), '600', 'holds last 10 minutes unless changed');
      await page.getByRole('heading', { name: 'New event' }).scrollIntoViewIfNeeded();
      await screenshot(page, `${device}-admin-01-create-form`, { fullPage: device === 'desktop' });

      await page.getByTestId('create-event').click();
      const message = page.getByTestId('message');
      await message.getByText('with 260 seats.').waitFor();
      assert.equal(await message.getAttribute('data-kind'), 'success');
      // The form is emptied for the next event.
      assert.equal(await page.getByTestId('event-name').inputValue(), '');
      assert.equal(await page.getByTestId('event-hold-seconds').inputValue(), '600');
      assert.equal(await page.getByTestId('section-name').count(), 1);

      const row = page.getByTestId('admin-event-row').filter({ hasText: name });
      await row.waitFor();
      eventId = Number(await row.getAttribute('data-event-id'));
      assert.match(await row.textContent(), /Riverside Amphitheatre/);
      assert.match(await row.textContent(), /0 of 260 seats sold/);
      await row.scrollIntoViewIfNeeded();
      await screenshot(page, `${device}-admin-02-created`);

      const { body: event } = await api('GET', `/events/${eventId}`, { expect: 200 });
      assert.equal(event.name, name);
      assert.equal(event.starts_at, startsAt);
      assert.equal(event.description, 'Three stages of live jazz by the river.');
      assert.equal(event.hold_seconds, 600);
      assert.deepEqual(event.sections, [
        { name: 'Lawn', rows: 10, seats_per_row: 20, price_cents: 4550 },
        { name: 'Terrace', rows: 4, seats_per_row: 15, price_cents: 8999 },
      ]);
    });

    step('changes how long holds last on the edit page', async () => {
      const row = page.getByTestId('admin-event-row').filter({ hasText: name });
      await row.getByTestId('edit-event').click();
      await page.waitForURL(`**/#/admin/events/${eventId}`);
      const holdSeconds = page.getByTestId('event-hold-seconds');
      assert.equal(await holdSeconds.inputValue(), '600');
      // Out of range: the API's validation error is shown next to the field.
      await holdSeconds.fill('3601');
      await page.getByTestId('save-event').click();
      await page.getByTestId('message').getByText('Please correct the highlighted fields.').waitFor();
      assert.equal(await holdSeconds.getAttribute('aria-invalid'), 'true');
      await holdSeconds.fill('90');
      await page.getByTestId('save-event').click();
      await page.getByTestId('message').getByText(`Saved “${name}”.`).waitFor();
      await page.waitForURL('**/#/admin');
      const { body: event } = await api('GET', `/events/${eventId}`, { expect: 200 });
      assert.equal(event.hold_seconds, 90);
      assert.equal(event.name, name, 'only the hold time changed');
    });

    step('puts the on-sale behind a queue on the edit page, then removes the queue', async () => {
      const edit = async () => {
        await page.getByTestId('admin-event-row').filter({ hasText: name }).getByTestId('edit-event').click();
        await page.waitForURL(`**/#/admin/events/${eventId}`);
        // The form is drawn once the event has been read: read fields only then.
        await until(page, (n) => document.querySelector('[data-testid="event-name"]')?.value === n, name);
      };
      const save = async () => {
        await page.getByTestId('save-event').click();
        await page.getByTestId('message').getByText(`Saved “${name}”.`).waitFor();
        await page.waitForURL('**/#/admin');
        return (await api('GET', `/events/${eventId}`, { expect: 200 })).body;
      };
      await edit();
      const opensAt = page.getByTestId('event-queue-opens-at');
      const rate = page.getByTestId('event-queue-rate');
      assert.equal(await opensAt.inputValue(), '');
      assert.equal(await rate.inputValue(), '');
      // Half a queue: the API names the missing half, next to its field.
      await rate.fill('120');
      await page.getByTestId('save-event').click();
      await page.getByTestId('message').getByText('Please correct the highlighted fields.').waitFor();
      assert.equal(await opensAt.getAttribute('aria-invalid'), 'true');
      await opensAt.fill('2027-01-15T09:00'); // the page's time zone is UTC
      let event = await save();
      assert.deepEqual(event.admission, { opens_at: '2027-01-15T09:00:00Z', rate_per_minute: 120 });
      assert.equal(event.hold_seconds, 90, 'only the queue changed');
      await edit();
      assert.equal(await opensAt.inputValue(), '2027-01-15T09:00');
      assert.equal(await rate.inputValue(), '120');
      await opensAt.fill('');
      await rate.fill('');
      event = await save();
      assert.equal(event.admission, null);
    });

    step('sees the event in the public events list', async () => {
      await page.getByRole('link', { name: 'Events', exact: true }).first().click();
      await page.waitForURL(/#\/$/);
      await page.getByTestId('search').fill(name);
      const card = page.getByTestId('event-card').filter({ hasText: name });
      await card.waitFor();
      assert.match(await card.textContent(), /\$45\.50 – \$89\.99/);
      assert.match(await card.textContent(), /260 seats left/);
    });

    step('sees a booking made through the API in the analytics', async () => {
      // Done with the long-named event (it was in the list while the form was used): out of the charts.
      await api('DELETE', `/admin/events/${longId}`, { token: adminToken, expect: 204 });
      longId = null;
      const buyer = await newUser('Analytics Buyer');
      const { body: seatList } = await api('GET', `/events/${eventId}/seats?section=Terrace`, { expect: 200 });
      const seatIds = seatList.seats.slice(0, 3).map((s) => s.id);
      await api('POST', '/bookings', { token: buyer.token, body: { event_id: eventId, seat_ids: seatIds }, expect: 201 });

      await page.getByTestId('nav-admin').click();
      await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Analytics' }).click();
      await page.waitForURL('**/#/admin/analytics');
      const analytics = page.getByTestId('analytics');
      await analytics.getByTestId('figure-events').waitFor();

      // The figures are the API's totals at this moment (the tests run serially).
      const { body: report } = await api('GET', '/admin/analytics', { token: adminToken, expect: 200 });
      const { totals } = report;
      assert.ok(totals.seats_sold >= 3 && totals.revenue_cents >= 3 * 8999, 'the booking counts');
      const figure = (key) => analytics.getByTestId(`figure-${key}`).locator('.value').textContent();
      for (const key of ['events', 'capacity', 'bookings', 'confirmed_bookings', 'cancelled_bookings', 'seats_sold']) {
        assert.equal(await figure(key), fmt.format(totals[key]), `figure ${key}`);
      }
      assert.equal(await figure('revenue_cents'), (totals.revenue_cents / 100).toLocaleString('en-US', { style: 'currency', currency: 'USD' }));
      assert.match(await figure('utilization'), /^\d+(\.\d)?%$/);
      assert.match(await figure('cancellation_rate'), /^\d+(\.\d)?%$/);

      // Four charts: two per day, two of the top events.
      for (const title of ['Bookings per day', 'Revenue per day', 'Top events by seats sold', 'Utilization of top events']) {
        await analytics.getByRole('img', { name: title }).waitFor();
      }
      assert.ok((await analytics.locator('svg.chart rect.bar').count()) >= 4);

      // The event is among the top events (asked for as many as the API allows,
      // as earlier tests on this stack may have sold more seats elsewhere).
      await page.getByRole('spinbutton', { name: 'Top events' }).fill('100');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.waitForURL((url) => url.hash === '#/admin/analytics?top=100');
      const topChart = analytics.getByRole('img', { name: 'Top events by seats sold' });
      await topChart.locator('text', { hasText: name }).first().waitFor();
      const entry = report.popular_events.find((e) => e.event_id === eventId);
      if (entry) assert.equal(entry.seats_sold, 3);
      await page.getByRole('heading', { name: 'Analytics' }).scrollIntoViewIfNeeded();
      await screenshot(page, `${device}-admin-03-analytics`, { fullPage: true, docs: device === 'desktop' && 'analytics' });
      assert.deepEqual(page.errors, [], 'no script errors in the page');
    });

    step('deletes the event (accepting the confirmation)', async () => {
      await page.getByTestId('nav-admin').click();
      const row = page.getByTestId('admin-event-row').filter({ hasText: name });
      await row.getByTestId('delete-event').click();
      await page.getByTestId('message').getByText(`Deleted “${name}”.`).waitFor();
      assert.match(page.dialogs.at(-1), /260 seats and every booking for it \(3 booked seats\)/);
      await api('GET', `/events/${eventId}`, { expect: 404 });
    });
  });
}
