// Scenario 5, the admission queue. On a gated event (its gate opening in a
// few seconds, letting in one buyer every 2 seconds) a buyer cannot pick
// seats, and the API refuses a hold without a token; they join the queue
// behind one other buyer and see their place and a countdown to their exact
// admission time. The page asks for the ticket politely (once at the
// admission time, not every second), lets them on to the seat map when
// admitted, and their hold carries the ticket's Admission-Token and
// succeeds (after one refused for a tampered token, which sends them back to
// the queue); after a reload they are still in. Runs on a desktop and on a
// phone viewport.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ADMIN,
  api,
  assertFitsViewport,
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
} from './lib.mjs';

let browser;
let adminToken;
before(async () => {
  browser = await launch();
  adminToken = await loginToken(ADMIN);
});
after(() => browser?.close());

// The gate opens this long after the event is made: time to sign in and join before it.
const OPENS_IN_MS = 20_000;
const RATE_PER_MINUTE = 30; // one buyer every 2 s

const ticket = async (eventId, token) => (await api('GET', `/events/${eventId}/queue`, { token, expect: 200 })).body;

for (const { name: device, ...display } of VIEWPORTS) {
  describe(`a buyer waits in the queue, is let in and holds seats with the token (${device})`, { timeout: 180_000 }, () => {
    const step = scenario(test);
    let page;
    let event;
    let first; // joined before the buyer
    let firstTicket;
    let buyer;
    const polls = []; // GET /events/{id}/queue requests of the page

    before(async () => {
      const opensAt = new Date(Date.now() + OPENS_IN_MS).toISOString();
      const body = {
        name: unique('Queue Test'),
        venue: 'Evently Arena',
        starts_at: inDays(40),
        sections: [{ name: 'Floor', rows: 2, seats_per_row: 6, price_cents: 6000 }],
        admission: { opens_at: opensAt, rate_per_minute: RATE_PER_MINUTE },
      };
      event = (await api('POST', '/admin/events', { token: adminToken, body, expect: 201 })).body;
      assert.equal(event.admission.rate_per_minute, RATE_PER_MINUTE);
      [first, buyer] = await Promise.all([newUser('First In Line'), newUser('Barbara Liskov')]);
      firstTicket = (await api('POST', `/events/${event.id}/queue`, { token: first.token, expect: 201 })).body;
      assert.equal(firstTicket.position, 1);
      page = await newPage(browser, display);
      page.on('request', (req) => {
        if (req.method() === 'GET' && new URL(req.url()).pathname === `/events/${event.id}/queue`) polls.push(Date.now());
      });
    });
    after(async () => {
      await page?.context().close();
      if (event) await api('DELETE', `/admin/events/${event.id}`, { token: adminToken });
    });

    step('sees the queue and nothing to pick seats with; a hold without a token is refused', async () => {
      await signIn(page, buyer, '/');
      await page.getByTestId('search').fill(event.name);
      const card = page.getByTestId('event-card').filter({ hasText: event.name });
      await card.getByTestId('event-queue').getByText('On sale through a queue from', { exact: false }).waitFor();
      await card.click();
      await page.waitForURL(`**/#/events/${event.id}`);
      await until(page, () => window.evently?.seatMap);
      const queue = page.locator('[data-testid="queue"][data-state="none"]');
      await queue.waitFor();
      await queue.getByRole('heading', { name: 'This on-sale has a queue' }).waitFor();
      await queue.getByText('30 a minute', { exact: false }).waitFor();
      assert.equal(await page.getByTestId('best-available').isVisible(), false);
      assert.equal(await page.getByTestId('hold').isVisible(), false);
      const refused = await api('POST', '/holds', { token: buyer.token, body: { event_id: event.id, quantity: 2 } });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'admission_required');
    });

    step('joins: place 2, with a countdown to the admission time', async () => {
      await page.getByTestId('join-queue').click();
      const queue = page.locator('[data-testid="queue"][data-state="waiting"]');
      await queue.waitFor();
      assert.equal(await page.getByTestId('queue-position').textContent(), '2');
      const mine = await ticket(event.id, buyer.token);
      assert.equal(mine.position, 2);
      assert.equal(mine.admitted, false);
      assert.equal(mine.admission_token, null);
      // The leaky bucket: 60 / 30 s after the first place's admission.
      assert.equal(Date.parse(mine.admitted_at) - Date.parse(firstTicket.admitted_at), 2000);
      const left = seconds(await page.getByTestId('queue-countdown').textContent());
      const wait = Math.ceil((Date.parse(mine.admitted_at) - Date.now()) / 1000);
      assert.ok(left >= wait - 2 && left <= wait + 2, `the countdown (${left} s) shows the wait to admitted_at (${wait} s)`);
      await assertFitsViewport(page, 'event page in the queue');
      const dismiss = page.getByTestId('message').getByRole('button', { name: 'Dismiss' });
      if (await dismiss.isVisible()) await dismiss.click(); // the sign-in's welcome
      await screenshot(page, `${device}-queue-01-waiting`, { docs: device === 'desktop' && 'queue' });
      polls.length = 0;
    });

    step('is let in at the admission time, having asked for the ticket only a few times', async () => {
      const { admitted_at: admittedAt } = await ticket(event.id, buyer.token);
      await page.locator('[data-testid="queue"][data-state="admitted"]').waitFor({ timeout: OPENS_IN_MS + 20_000 });
      assert.ok(Date.now() >= Date.parse(admittedAt) - 1000, 'not let in before the admission time');
      assert.ok(polls.length >= 1 && polls.length <= 3, `asked ${polls.length} times while waiting`);
      await page.locator('[data-testid="queue"]').getByRole('heading', { name: 'You are in' }).waitFor();
      await page.getByTestId('best-available').waitFor();
      assert.ok(seconds(await page.getByTestId('queue-countdown').textContent()) > 800, 'the admission lasts 15 minutes');
    });

    step('a token the API refuses asks to join again; joining again gives back the same ticket', async () => {
      // The hold goes out with one byte of its token changed, as a tampered or foreign token would.
      const holds = '**/holds';
      await page.route(holds, (route, req) => {
        const token = req.headers()['admission-token'] ?? '';
        const i = token.length >> 1; // a character in the middle: all six of its bits count
        const flipped = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
        return route.continue({ headers: { ...req.headers(), 'admission-token': flipped } });
      });
      const answered = page.waitForResponse((res) => new URL(res.url()).pathname === '/holds');
      await page.getByTestId('best-available').click();
      assert.equal((await answered).status(), 403);
      await page.unroute(holds);
      await page.getByTestId('message').getByText('Your admission to this on-sale has ended. Join the queue again for a new place.').waitFor();
      await page.locator('[data-testid="queue"][data-state="expired"]').waitFor();
      assert.equal(await page.getByTestId('best-available').isVisible(), false, 'no picking without admission');
      assert.equal((await api('GET', `/holds?event_id=${event.id}`, { token: buyer.token, expect: 200 })).body.holds.length, 0);
      await page.getByTestId('join-queue').click();
      // Its token still works by the server's clock: the same place, admitted.
      await page.locator('[data-testid="queue"][data-state="admitted"]').waitFor();
      assert.equal(await page.getByTestId('queue-position').textContent(), '2');
      await page.getByTestId('best-available').waitFor();
    });

    step('holds the best two seats: the hold carries the Admission-Token', async () => {
      const { admission_token: token } = await ticket(event.id, buyer.token);
      assert.ok(token);
      const sent = page.waitForRequest((req) => req.method() === 'POST' && new URL(req.url()).pathname === '/holds');
      await page.getByTestId('best-quantity').selectOption('2');
      await page.getByTestId('best-available').click();
      assert.equal((await sent).headers()['admission-token'], token);
      await page.getByTestId('checkout').waitFor();
      const { body } = await api('GET', `/holds?event_id=${event.id}`, { token: buyer.token, expect: 200 });
      assert.equal(body.holds.length, 1);
      assert.equal(body.holds[0].seats.length, 2);
      await page.getByTestId('held-seats').getByText('Floor row 1 seats 3–4').waitFor();
      await assertFitsViewport(page, 'event page admitted, with a hold');
    });

    step('confirms the hold, and is still let in after a reload', async () => {
      await page.getByTestId('confirm').click();
      await page.getByTestId('message').getByText('Booked Floor row 1 seats 3–4 for $120.00.', { exact: false }).waitFor();
      await page.reload();
      await page.locator('[data-testid="queue"][data-state="admitted"]').waitFor();
      assert.equal(await page.getByTestId('queue-position').textContent(), '2');
      await page.getByTestId('best-available').waitFor();
      assert.deepEqual(page.errors, [], 'no script errors in the page');
    });
  });
}
