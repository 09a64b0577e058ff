// Every call the dashboard makes to budgetd goes through here, so the token handling is in one
// place: a call answered 401 asks for a token (one dialog, however many calls are waiting),
// keeps it in sessionStorage for this tab only, and tries again with it as a bearer token.

const TOKEN_KEY = 'budgetd.token';
let tokenPrompt = null; // the dialog in progress, shared by every call that got a 401

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// GET `path` as JSON. Throws ApiError with budgetd's own message for any other answer than 2xx.
export async function getJson(path) {
  for (;;) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const res = await fetch(path, { headers, cache: 'no-store' });
    if (res.status === 401) {
      // Another call may have got a new token while this one was on its way: use it first.
      if (sessionStorage.getItem(TOKEN_KEY) !== token) continue;
      await askForToken(token ? 'budgetd refused the token: it is unknown.' : 'budgetd has auth on.');
      continue;
    }
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, body?.error?.message ?? `HTTP ${res.status}`);
    return body;
  }
}

function askForToken(why) {
  if (tokenPrompt) return tokenPrompt;
  const dialog = document.getElementById('token-dialog');
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  document.getElementById('token-why').textContent = why;
  tokenPrompt = new Promise((resolve) => {
    form.addEventListener('submit', function onSubmit(event) {
      event.preventDefault(); // no navigation: the page stays and retries its calls
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      input.value = '';
      form.removeEventListener('submit', onSubmit);
      dialog.close();
      tokenPrompt = null;
      resolve();
    });
  });
  dialog.showModal();
  input.focus();
  return tokenPrompt;
}

// Which optional routes this budgetd serves, read from its OpenAPI document (an open route that
// lists exactly the routes the server has: a test checks it). Asking the document instead of
// the route keeps a budgetd without them from filling the console with 404s.
let routesPromise = null;
export function availableRoutes() {
  if (!routesPromise) {
    routesPromise = fetch('/openapi.yaml', { cache: 'no-store' })
      .then((res) => (res.ok ? res.text() : ''))
      .then((text) => ({
        history: /^ {2}\/v1\/slos\/\{name\}\/history:/m.test(text),
        deploys: /^ {2}\/v1\/deploys:/m.test(text),
      }));
  }
  return routesPromise;
}
