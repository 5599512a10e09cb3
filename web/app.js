// Evently web app: routes, the header, and the session's life cycle.
import { logout, me } from './js/api.js';
import { h, nodes } from './js/dom.js';
import { navigate, signInPath, start } from './js/router.js';
import { session } from './js/session.js';
import { flash } from './js/ui.js';
import adminEventView from './js/views/admin-event.js';
import adminEventsView from './js/views/admin-events.js';
import analyticsView from './js/views/analytics.js';
import { signInView, signUpView } from './js/views/auth.js';
import bookingsView from './js/views/bookings.js';
import eventView from './js/views/event.js';
import eventsView from './js/views/events.js';

const ROUTES = [
  { path: '/', view: eventsView },
  { path: '/events/:id', view: eventView },
  { path: '/login', view: signInView },
  { path: '/signup', view: signUpView },
  { path: '/bookings', view: bookingsView, access: 'user' },
  { path: '/admin', view: adminEventsView, access: 'admin' },
  { path: '/admin/events/:id', view: adminEventView, access: 'admin' },
  { path: '/admin/analytics', view: analyticsView, access: 'admin' },
];

const nav = document.getElementById('nav');
const account = document.getElementById('account');
let currentPath = '/';

async function signOut() {
  // The token is forgotten even if the server cannot be told.
  await logout(session.token).catch(() => {});
  session.signOut();
  flash('You have signed out.', 'success');
  navigate('/');
}

function renderNav() {
  const section = currentPath.split('/')[1];
  const link = (href, label, testid) =>
    h('a', { href: `#${href}`, 'data-testid': testid, 'aria-current': href.split('/')[1] === section ? 'page' : null }, label);
  const user = session.user;
  // nodes() drops the `false`/`null` of links this user does not get (replaceChildren would print them).
  nav.replaceChildren(...nodes([
    link('/', 'Events'),
    user && link('/bookings', 'My bookings', 'nav-bookings'),
    session.isAdmin && link('/admin', 'Admin', 'nav-admin'),
  ]));
  // The account area is the header's third part (not inside the nav), so that
  // a phone can give it a line of its own instead of wrapping the links.
  account.replaceChildren(...nodes(
    user
      ? [
          h('span', { class: 'muted user-name', 'data-testid': 'user-name', title: user.name }, user.name),
          h('button', { class: 'btn btn-sm', type: 'button', 'data-testid': 'sign-out', onclick: signOut }, 'Sign out'),
        ]
      : [link('/login', 'Sign in', 'nav-sign-in'), h('a', { class: 'btn btn-primary btn-sm', href: '#/signup', 'data-testid': 'nav-sign-up' }, 'Sign up')],
  ));
}

session.onChange((reason) => {
  renderNav();
  if (reason === 'expired') {
    flash('Your session has expired. Please sign in again.', 'error');
    navigate(signInPath());
  }
});

start(ROUTES, document.getElementById('app'), (path) => {
  currentPath = path;
  renderNav();
});

// The stored user may be stale (a changed name or role) or its token revoked.
if (session.token) me().then((user) => session.updateUser(user), () => {});
