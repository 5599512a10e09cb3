// The global message area and the wording of failures.
import { serverNow } from './api.js';
import { h } from './dom.js';
import { count } from './format.js';

const box = document.getElementById('message');
let pending = null;

/** Shows text (or nodes) in the message area; kind is 'info', 'success' or 'error'. */
export function showMessage(content, kind = 'info') {
  box.replaceChildren(
    h('div', { class: 'message-text' }, content),
    h('button', { class: 'btn btn-link message-close', type: 'button', 'aria-label': 'Dismiss', onclick: clearMessage }),
  );
  box.dataset.kind = kind;
  box.hidden = false;
}

function clearMessage() {
  box.hidden = true;
  box.replaceChildren();
}

/** A message for the page the app is about to navigate to. */
export function flash(content, kind = 'info') {
  pending = { content, kind };
}

/** Called by the router on every navigation: drops the old message, shows a flashed one. */
export function showFlash() {
  clearMessage();
  if (pending) showMessage(pending.content, pending.kind);
  pending = null;
}

/** A sentence for the user from an ApiError's status, code and detail. */
export function errorText(err) {
  if (err.status === 0) return err.message;
  if (err.status === 429) {
    const wait = /^\d+$/.test(err.retryAfter ?? '') ? count(Number(err.retryAfter), 'second') : 'a moment';
    return `Too many requests. Please wait ${wait} and try again.`;
  }
  if (err.status >= 502) return 'Evently is temporarily unavailable. Please try again in a moment.';
  if (err.status >= 500) return 'Something went wrong on our side. Please try again.';
  return err.message;
}

/** Reports a failure in the message area; aborted requests (navigation) are silent. */
export function showError(err) {
  if (err.name === 'AbortError') return;
  if (!(err.status >= 0)) console.error(err);
  showMessage(err.status >= 0 ? errorText(err) : 'Something went wrong. Please reload the page.', 'error');
}

/**
 * "More" paging over a cursor-paged list. fetchPage(cursor) resolves to
 * { items, next_cursor }, items already rendered as nodes. Returns reload(),
 * which starts again from the first page.
 */
export function pager({ list, more, empty, fetchPage }) {
  let cursor = null;
  async function loadPage() {
    more.disabled = true;
    try {
      const page = await fetchPage(cursor);
      list.append(...page.items);
      cursor = page.next_cursor;
      more.hidden = !cursor;
      empty.hidden = list.childElementCount > 0;
    } catch (err) {
      showError(err);
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', loadPage);
  return function reload() {
    cursor = null;
    list.replaceChildren();
    return loadPage();
  };
}

export function setTitle(title) {
  document.title = title ? `${title} · Evently` : 'Evently';
}

/**
 * A countdown to `until` (ms since the epoch, by the server's clock):
 * onTick(msLeft) runs at once (after the caller has returned) and on each whole
 * second of the time left, so a display never lags a second behind; onEnd()
 * runs when it reaches zero. Returns stop().
 */
export function ticker(until, onTick, onEnd) {
  let timer = null;
  function tick() {
    const left = until - serverNow();
    if (left <= 0) return onEnd();
    onTick(left);
    timer = setTimeout(tick, left % 1000 || 1000);
  }
  timer = setTimeout(tick, 0);
  return () => clearTimeout(timer);
}
