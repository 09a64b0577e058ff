// The dashboard's entry: hash routing with deep links (#/, #/slo/NAME, #/gate), one page module
// mounted at a time, and a refresh every REFRESH_MS while the tab is visible.
//
// A page module exports mount(root, params) -> { refresh(): Promise, destroy() }; params are the
// URLSearchParams after '?' in the hash, where each page keeps its state (filters, service).

import * as list from './list.js';
import * as slo from './slo.js';
import * as gate from './gate.js';
import { note } from './format.js';

const REFRESH_MS = 15000;
const view = document.getElementById('view');
const refreshed = document.getElementById('refreshed');
let current = null; // { page, refresh, destroy }
let timer = null;

// '#/slo/checkout-availability?x=1' -> { page: slo, args: ['checkout-availability'], params }
function route() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query ?? '');
  if (parts[0] === 'slo' && parts[1]) return { module: slo, name: 'slo', args: parts[1], params };
  if (parts[0] === 'gate') return { module: gate, name: 'gate', args: null, params };
  return { module: list, name: 'list', args: null, params };
}

// One refresh at a time per page: a tick while the last one still runs (a slow answer, or the
// token dialog waiting for a person) is skipped rather than queued behind it.
async function refresh() {
  if (!current || current.busy) return;
  const mine = current;
  mine.busy = true;
  try {
    await mine.refresh();
    if (mine === current) refreshed.textContent = `updated ${new Date().toISOString().slice(11, 19)} UTC`;
  } catch (err) {
    // A failed refresh keeps what is shown and says why; the next tick tries again.
    if (mine === current) refreshed.textContent = `refresh failed: ${err.message}`;
  } finally {
    mine.busy = false;
  }
}

function show() {
  current?.destroy();
  const r = route();
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.page === r.name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  view.replaceChildren();
  if (!window.Chart) view.append(note('Chart.js did not load: charts are not drawn.', 'error'));
  current = { ...r.module.mount(view, r.params, r.args), name: r.name };
  refresh();
}

function schedule() {
  clearInterval(timer);
  timer = setInterval(() => {
    if (document.visibilityState === 'visible') refresh();
  }, REFRESH_MS);
}

window.addEventListener('hashchange', show);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refresh();
});
show();
schedule();
