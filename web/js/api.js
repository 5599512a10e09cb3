// The Evently HTTP API (see API.md), called with relative paths on the same origin.
import { session } from './session.js';

/** A failed call: `problem` is the RFC 9457 document (code, detail, errors, ...). */
class ApiError extends Error {
  constructor(status, problem, retryAfter = null) {
    super(problem.detail || problem.title || `Request failed (${status})`);
    this.status = status;
    this.code = problem.code;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

function url(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value != null && value !== '') params.set(key, value);
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function readProblem(res) {
  if (/json/.test(res.headers.get('Content-Type') ?? '')) {
    try {
      return await res.json();
    } catch {
      // Fall through to a generic problem.
    }
  }
  return { status: res.status, title: res.statusText, code: `http_${res.status}` };
}

/**
 * Sends a request and returns the Response when it is 2xx or 304; otherwise
 * throws ApiError (status 0 for network failures). `auth: true` sends the
 * session's token, and a 401 then ends the session.
 */
async function send(path, { method = 'GET', query, body, auth = false, headers = {}, signal } = {}) {
  const h = new Headers(headers);
  h.set('Accept', 'application/json');
  if (body !== undefined) h.set('Content-Type', 'application/json');
  if (auth && session.token) h.set('Authorization', `Bearer ${session.token}`);
  let res;
  try {
    res = await fetch(url(path, query), {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, { code: 'network_error', detail: 'Could not reach Evently. Check your connection and try again.' });
  }
  noteServerTime(res);
  if (res.ok || res.status === 304) return res;
  const problem = await readProblem(res);
  if (res.status === 401 && auth) session.expire();
  throw new ApiError(res.status, problem, res.headers.get('Retry-After'));
}

// How far the server's clock is ahead of this one (ms), from the Date header of
// the last answer. Date has whole seconds, so an offset under 2 s is noise and
// taken as none; a visitor's clock set minutes wrong would otherwise show a
// hold's countdown minutes wrong.
let clockOffset = 0;

function noteServerTime(res) {
  const date = Date.parse(res.headers.get('Date') ?? '');
  if (Number.isNaN(date)) return;
  const offset = date + 500 - Date.now();
  clockOffset = Math.abs(offset) < 2000 ? 0 : offset;
}

/** The current time by the server's clock, in ms since the epoch (for countdowns to times it sent). */
export const serverNow = () => Date.now() + clockOffset;

async function json(path, options) {
  const res = await send(path, options);
  return res.status === 204 ? null : res.json();
}

/** A random key per booking or hold attempt; randomUUID needs a secure context, getRandomValues does not. */
export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function admissionHeaders(idempotencyKey, admissionToken) {
  const headers = { 'Idempotency-Key': idempotencyKey };
  if (admissionToken) headers['Admission-Token'] = admissionToken;
  return headers;
}

// Accounts
export const register = (fields) => json('/auth/register', { method: 'POST', body: fields });
export const login = (fields) => json('/auth/login', { method: 'POST', body: fields });
export const me = () => json('/me', { auth: true });
/** Revokes `token`; sent explicitly so that a 401 here does not count as an expired session. */
export const logout = (token) =>
  json('/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });

// Events
export const listEvents = (query, signal) => json('/events', { query, signal });
export const getEvent = (id, signal) => json(`/events/${id}`, { signal });

/** GET /events/{id}/seats; resolves to null when `etag` is still current (304). */
export async function getSeats(id, etag, signal) {
  const res = await send(`/events/${id}/seats`, { headers: etag ? { 'If-None-Match': etag } : {}, signal });
  if (res.status === 304) return null;
  return { etag: res.headers.get('ETag'), ...(await res.json()) };
}

// Bookings
/** `admissionToken`: the event's queue ticket token, needed on a gated event (see joinQueue). */
export const createBooking = (eventId, seatIds, idempotencyKey, admissionToken = null) =>
  json('/bookings', {
    method: 'POST',
    auth: true,
    body: { event_id: eventId, seat_ids: seatIds },
    headers: admissionHeaders(idempotencyKey, admissionToken),
  });
export const listBookings = (query, signal) => json('/bookings', { query, auth: true, signal });
export const cancelBooking = (id) => json(`/bookings/${id}`, { method: 'DELETE', auth: true });

// Holds: seats kept for the buyer until expires_at, then confirmed (a booking) or released.
/**
 * POST /holds with `{seat_ids}` (these seats) or `{quantity, section?}` (the
 * best available block); `admissionToken` as for createBooking.
 */
export const createHold = (eventId, what, idempotencyKey, admissionToken = null) =>
  json('/holds', {
    method: 'POST',
    auth: true,
    body: { event_id: eventId, ...what },
    headers: admissionHeaders(idempotencyKey, admissionToken),
  });
export const listHolds = (query, signal) => json('/holds', { query, auth: true, signal });
export const getHold = (id, signal) => json(`/holds/${id}`, { auth: true, signal });
/** Resolves to the Booking of the hold's seats. */
export const confirmHold = (id) => json(`/holds/${id}/confirm`, { method: 'POST', auth: true });
export const releaseHold = (id) => json(`/holds/${id}`, { method: 'DELETE', auth: true });

// Waitlist: a place in line on a sold-out event; freed seats come as an offer (a hold).
/** POST /events/{id}/waitlist; `section` null means any. Resolves to the WaitlistEntry (maybe already offered). */
export const joinWaitlist = (eventId, { quantity, section }) =>
  json(`/events/${eventId}/waitlist`, { method: 'POST', auth: true, body: section ? { quantity, section } : { quantity } });
export const getWaitlistEntry = (id, signal) => json(`/waitlist/${id}`, { auth: true, signal });
/** Leaves the list; an outstanding offer is released to the next in line. */
export const leaveWaitlist = (id) => json(`/waitlist/${id}`, { method: 'DELETE', auth: true });

// Admission: the waiting room of a gated event. A ticket's admission_token goes
// with createHold and createBooking from its admitted_at until token_expires_at.
/** POST /events/{id}/queue: the caller's ticket (the same one again, or a new place once its token has expired). */
export const joinQueue = (eventId) => json(`/events/${eventId}/queue`, { method: 'POST', auth: true });
/** GET /events/{id}/queue: the caller's ticket as of now; 404 not_in_queue when they have none. */
export const getQueueTicket = (eventId, signal) => json(`/events/${eventId}/queue`, { auth: true, signal });

// Administration
export const createEvent = (fields) => json('/admin/events', { method: 'POST', auth: true, body: fields });
export const updateEvent = (id, fields) => json(`/admin/events/${id}`, { method: 'PATCH', auth: true, body: fields });
export const deleteEvent = (id) => json(`/admin/events/${id}`, { method: 'DELETE', auth: true });
export const analytics = (query, signal) => json('/admin/analytics', { query, auth: true, signal });
