// The signed-in user and their bearer token, kept in sessionStorage so a
// tab forgets them when it closes.

const KEY = 'evently.session';
const listeners = new Set();
let current = restore();

function restore() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY));
    if (saved?.token && new Date(saved.expires_at) > new Date()) return saved;
  } catch {
    // Unreadable storage counts as signed out.
  }
  sessionStorage.removeItem(KEY);
  return null;
}

function store(next, reason) {
  current = next;
  if (next) sessionStorage.setItem(KEY, JSON.stringify(next));
  else sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener(reason);
}

export const session = {
  get token() {
    return current?.token ?? null;
  },
  get user() {
    return current?.user ?? null;
  },
  get isAdmin() {
    return current?.user.role === 'admin';
  },
  /** Keeps the answer of POST /auth/login. */
  signIn({ token, expires_at, user }) {
    store({ token, expires_at, user }, 'signed-in');
  },
  updateUser(user) {
    if (current) store({ ...current, user }, 'updated');
  },
  signOut() {
    store(null, 'signed-out');
  },
  /** The server refused the token (expired or revoked). */
  expire() {
    if (current) store(null, 'expired');
  },
  /** listener(reason) runs after every change; reason is 'signed-in', 'updated', 'signed-out' or 'expired'. */
  onChange(listener) {
    listeners.add(listener);
  },
};
