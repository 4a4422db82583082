// The login form: a token exchanged for a session cookie (POST /v1/dashboard/login). The token
// itself is sent once and never kept by the page.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { errorBox } from './errors.js';
import type { Session } from './types.js';

export function showLogin(main: HTMLElement, onLoggedIn: (session: Session) => void): void {
  const input = h('input', {
    type: 'password',
    name: 'token',
    id: 'token',
    autocomplete: 'off',
    required: true,
    placeholder: 'berth_…',
  });
  const problem = h('div', { class: 'login-problem' });
  const form = h(
    'form',
    { class: 'login', id: 'login' },
    h('h1', {}, 'Log in to berth'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h(
      'p',
      { class: 'hint' },
      'The admin token is in <home>/credentials; `berth tokens create` makes others.',
    ),
    h('button', { type: 'submit' }, 'Log in'),
    problem,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    replace(problem);
    void api<Session>('/v1/dashboard/login', { method: 'POST', body: { token: input.value } })
      .then((session) => {
        input.value = '';
        onLoggedIn(session);
      })
      .catch((err: unknown) => replace(problem, errorBox(err)));
  });
  replace(main, form);
  input.focus();
}
