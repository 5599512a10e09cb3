// Hash routing: "#/events/7?x=1" → the route "/events/:id" with params {id: 7}.
import { flash, showError, showFlash } from './ui.js';
import { h } from './dom.js';
import { session } from './session.js';

let routes = [];
let root;
let onNavigate;
let controller = null;

/** The current location: path ("/events/7"), query (URLSearchParams) and full ("/events/7?x=1"). */
export function here() {
  const full = location.hash.replace(/^#/, '') || '/';
  const [path, qs = ''] = full.split('?');
  return { path, query: new URLSearchParams(qs), full };
}

/** Goes to `path` ("/bookings"); renders again when already there. */
export function navigate(path, { replace = false } = {}) {
  if (here().full === path) render();
  else if (replace) location.replace(`#${path}`);
  else location.hash = `#${path}`;
}

/** The sign-in page, returning to `next` (default: here) afterwards. */
export function signInPath(next = here().full) {
  return `/login?next=${encodeURIComponent(next)}`;
}

/** A `next` parameter is only followed when it is an in-app path. */
export function safeNext(query) {
  const next = query.get('next') ?? '/';
  return next.startsWith('/') ? next : '/';
}

function match(path) {
  const parts = path.split('/');
  for (const route of routes) {
    const pattern = route.path.split('/');
    if (pattern.length !== parts.length) continue;
    const params = {};
    const ok = pattern.every((segment, i) => {
      if (!segment.startsWith(':')) return segment === parts[i];
      if (!/^[1-9]\d{0,15}$/.test(parts[i])) return false;
      params[segment.slice(1)] = Number(parts[i]);
      return true;
    });
    if (ok) return { route, params };
  }
  return null;
}

export function notice(title, text, link) {
  return h('div', { class: 'panel center stack' }, h('h1', {}, title), h('p', { class: 'muted' }, text), link);
}

async function render() {
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  const { path, query, full } = here();
  const found = match(path);
  if (found?.route.access && !session.token) {
    flash('Please sign in to continue.');
    navigate(signInPath(full), { replace: true });
    return;
  }
  showFlash();
  onNavigate(path);
  root.replaceChildren();
  window.scrollTo(0, 0);
  if (!found) {
    root.append(notice('Page not found', 'There is nothing at this address.', h('a', { href: '#/' }, 'See upcoming events')));
  } else if (found.route.access === 'admin' && !session.isAdmin) {
    root.append(notice('Admins only', 'This page is for Evently administrators.', h('a', { href: '#/' }, 'See upcoming events')));
  } else {
    try {
      await found.route.view(root, { params: found.params, query, signal });
    } catch (err) {
      showError(err);
    }
  }
}

/**
 * Starts routing. Each route is {path, view, access?}: view(root, {params,
 * query, signal}) draws the page into root and stops its work when signal
 * aborts (on the next navigation); access 'user' or 'admin' restricts it.
 */
export function start(table, appRoot, navigated) {
  routes = table;
  root = appRoot;
  onNavigate = navigated;
  window.addEventListener('hashchange', render);
  render();
}
