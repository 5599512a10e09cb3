// Shared pieces of the browser tests: the stack's address, API calls from
// Node, a chromium launched the same way everywhere, and screenshots.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const state = process.env.EVENTLY_TEST_STATE;
if (!state) throw new Error('EVENTLY_TEST_STATE is not set: run the browser tests through ctest');

export const BASE = `http://127.0.0.1:${readFileSync(join(state, 'port'), 'utf8').trim()}`;

// Stacks of concurrent test runs pick their ports independently; make sure the
// nginx answering on ours is the one this fixture started, so that a lost race
// fails here instead of sending these tests to somebody else's stack.
{
  let pid = NaN;
  try {
    pid = Number(readFileSync(join(state, 'run', 'nginx.pid'), 'utf8').trim());
    process.kill(pid, 0);
  } catch {
    throw new Error(`the stack's nginx is not running (pid file ${join(state, 'run', 'nginx.pid')}: ${pid || 'empty or missing'}); ` +
      'was its port taken by another stack? See logs/nginx-error.log');
  }
}
export const ADMIN = { email: 'admin@evently.test', password: 'admin-password-1' };
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS = process.env.EVENTLY_SCREENSHOTS ?? join(process.env.EVENTLY_BUILD_DIR ?? join(ROOT, 'build'), 'screenshots');
// When set (to anything), the README's screenshots in docs/screenshots/ are refreshed too.
const DOCS_SHOTS = process.env.EVENTLY_DOCS_SCREENSHOTS ? join(ROOT, 'docs', 'screenshots') : null;

/** Desktop and a phone-sized viewport: every scenario runs in both. */
export const VIEWPORTS = [
  { name: 'desktop', viewport: { width: 1280, height: 900 } },
  { name: 'phone', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
];

/** A name no other run of the tests uses. */
export const unique = (prefix) => `${prefix} ${Math.random().toString(36).slice(2, 8).padEnd(6, '0')}`;

/** Calls the API; returns {status, body}. Throws unless the status is `expect` (when given). */
export async function api(method, path, { token, body, expect } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : null;
  if (expect !== undefined && res.status !== expect) {
    throw new Error(`${method} ${path}: expected ${expect}, got ${res.status} ${text.slice(0, 300)}`);
  }
  return { status: res.status, body: parsed };
}

export async function loginToken({ email, password }) {
  return (await api('POST', '/auth/login', { body: { email, password }, expect: 200 })).body.token;
}

/** A fresh account: {email, password, name, token}. */
export async function newUser(name = 'Test User') {
  const email = `${unique('u').replace(' ', '-')}@example.com`.toLowerCase();
  const password = 'password-123';
  await api('POST', '/auth/register', { body: { email, password, name }, expect: 201 });
  return { email, password, name, token: await loginToken({ email, password }) };
}

/** A start time `days` days from now, at 19:30 UTC. */
export function inDays(days) {
  const d = new Date(Date.now() + days * 86_400_000);
  d.setUTCHours(19, 30, 0, 0);
  return d.toISOString().replace('.000Z', 'Z');
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.EVENTLY_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A page in a fresh context (own sessionStorage) with fixed locale and time
 * zone, that accepts confirm() dialogs and fails the test on uncaught page
 * errors (collected in page.errors).
 */
export async function newPage(browser, { viewport, isMobile = false, hasTouch = false }) {
  const context = await browser.newContext({ viewport, isMobile, hasTouch, locale: 'en-US', timezoneId: 'UTC', deviceScaleFactor: 1 });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.errors = [];
  page.dialogs = [];
  page.on('pageerror', (err) => page.errors.push(err.message));
  // The browser's own "Failed to load resource" lines for expected 4xx answers are not the app's errors.
  page.on('console', (msg) => msg.type() === 'error' && !/^Failed to load resource/.test(msg.text()) && page.errors.push(`console: ${msg.text()}`));
  page.on('dialog', (dialog) => {
    page.dialogs.push(dialog.message());
    dialog.accept();
  });
  return page;
}

/** Saves the page (viewport only, or fullPage) as <screenshots>/<name>.png; `docs` also copies it to docs/screenshots/<docs>.png. */
export async function screenshot(page, name, { fullPage = false, docs } = {}) {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage, animations: 'disabled', caret: 'hide' });
  if (docs && DOCS_SHOTS) {
    mkdirSync(DOCS_SHOTS, { recursive: true });
    copyFileSync(file, join(DOCS_SHOTS, `${docs}.png`));
  }
  return file;
}

/**
 * Fails when the page is wider than its viewport. On a phone that is more than
 * a scroll bar: the browser lays the page out on a wider, zoomed-out viewport,
 * and taps land on whatever ends up over the control (the header, an input).
 */
export async function assertFitsViewport(page, what) {
  const { width } = page.viewportSize();
  const { scrollWidth, wide } = await page.evaluate((width) => ({
    scrollWidth: document.documentElement.scrollWidth,
    // The innermost elements that stick out, to say what to fix.
    wide: [...document.body.querySelectorAll('*')]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && ![...el.children].some((c) => c.getBoundingClientRect().right > width + 1))
      .slice(0, 5)
      .map((el) => `<${el.localName}${el.className && typeof el.className === 'string' ? ` class="${el.className}"` : ''}>`),
  }), width);
  assert.ok(scrollWidth <= width, `${what}: the page is ${scrollWidth}px wide on a ${width}px viewport (${wide.join(', ')})`);
}

/** Waits until fn() (in the page) returns something truthy; returns it. */
export async function until(page, fn, arg, timeout = 15_000) {
  const handle = await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  return handle.jsonValue();
}

/**
 * Steps of one scenario, run in order as node:test tests: once a step fails,
 * the later ones are skipped rather than failing for the same reason.
 */
export function scenario(test) {
  let failed = null;
  return (name, fn) =>
    test(name, async (t) => {
      if (failed) return t.skip(`"${failed}" failed`);
      try {
        await fn(t);
      } catch (err) {
        failed = name;
        throw err;
      }
    });
}

// The seat map, through the hook the event page exposes as window.evently.seatMap.

/** Clicks the map at a seat's centre, as a visitor would. */
export async function clickSeat(page, seatId) {
  const point = await page.evaluate((id) => window.evently.seatMap.seatAt(id), seatId);
  assert.ok(point, `seatAt(${seatId}) knows the seat`);
  await page.getByTestId('seat-map').click({ position: point });
}

/** A seat's status as the map draws it: available, selected, yours, held, booked. */
export const statusOnMap = (page, id) => page.evaluate((seatId) => window.evently.seatMap.status(seatId), id);

export async function waitForStatus(page, ids, status) {
  await until(page, ([seatIds, want]) => seatIds.every((id) => window.evently?.seatMap?.status(id) === want), [ids, status]);
}

/** The seats' statuses as the API reports them, in the order of `ids`. */
export async function seatStatusesFromApi(eventId, ids) {
  const { body } = await api('GET', `/events/${eventId}/seats`, { expect: 200 });
  return ids.map((id) => body.seats.find((s) => s.id === id).status);
}

/** Signs in through the sign-in page, then opens `next` (an in-app path). */
export async function signIn(page, { email, password, name }, next = '/') {
  await page.goto(`${BASE}/#/login?next=${encodeURIComponent(next)}`);
  await page.getByTestId('email').fill(email);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('submit').click();
  await page.getByTestId('user-name').getByText(name).waitFor();
}

/** "m:ss" → seconds. */
export function seconds(clock) {
  const m = /^(\d+):(\d\d)$/.exec(clock.trim());
  assert.ok(m, `"${clock}" reads as m:ss`);
  return Number(m[1]) * 60 + Number(m[2]);
}
