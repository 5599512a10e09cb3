// "#/login" and "#/signup". Both return to `?next=` (an in-app path) afterwards.
import { login, register } from '../api.js';
import { h } from '../dom.js';
import { busy, field, showFormError } from '../forms.js';
import { navigate, safeNext } from '../router.js';
import { session } from '../session.js';
import { flash, setTitle } from '../ui.js';

const input = (name, type, autocomplete) =>
  h('input', { name, type, autocomplete, required: true, 'data-testid': name });

function authPage(root, { title, fields, submitLabel, footer, onSubmit }) {
  setTitle(title);
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', 'data-testid': 'submit' }, submitLabel);
  // novalidate: the API's own validation errors are shown next to the fields.
  const form = h('form', { class: 'form', novalidate: true }, fields, submit);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, () => onSubmit(Object.fromEntries(new FormData(form))).catch((err) => showFormError(form, err, { email_taken: 'email' })));
  });
  root.append(h('div', { class: 'panel form-narrow stack' }, h('h1', {}, title), form, h('p', { class: 'muted small center' }, footer)));
  form.querySelector('input').focus();
}

async function signIn(credentials, next, greeting) {
  session.signIn(await login(credentials));
  flash(`${greeting}, ${session.user.name}.`, 'success');
  navigate(next);
}

export function signInView(root, { query }) {
  const next = safeNext(query);
  authPage(root, {
    title: 'Sign in',
    fields: [field('Email', input('email', 'email', 'email')), field('Password', input('password', 'password', 'current-password'))],
    submitLabel: 'Sign in',
    footer: ['New to Evently? ', h('a', { href: `#/signup?next=${encodeURIComponent(next)}` }, 'Create an account')],
    onSubmit: ({ email, password }) => signIn({ email, password }, next, 'Welcome back'),
  });
}

export function signUpView(root, { query }) {
  const next = safeNext(query);
  authPage(root, {
    title: 'Create an account',
    fields: [
      field('Name', input('name', 'text', 'name')),
      field('Email', input('email', 'email', 'email')),
      field('Password', input('password', 'password', 'new-password'), '8 to 128 characters'),
    ],
    submitLabel: 'Sign up',
    footer: ['Already have an account? ', h('a', { href: `#/login?next=${encodeURIComponent(next)}` }, 'Sign in')],
    onSubmit: async ({ name, email, password }) => {
      await register({ email, password, name });
      await signIn({ email, password }, next, 'Welcome to Evently');
    },
  });
}
