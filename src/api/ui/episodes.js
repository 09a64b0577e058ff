// The SLO page's burn episodes (GET /v1/slos/{name}/episodes): one row per episode, newest
// first, with what a postmortem starts from. The section is returned at once and filled when
// the answer arrives, so the rest of the page never waits for it.

import { getJson } from './api.js';
import { h, percent, burn, time, note } from './format.js';

// Whether this budgetd serves the route, from its OpenAPI document (as availableRoutes does).
let served = null;
function episodesServed() {
  if (!served) {
    served = fetch('/openapi.yaml', { cache: 'no-store' })
      .then((res) => (res.ok ? res.text() : ''))
      .then((text) => /^ {2}\/v1\/slos\/\{name\}\/episodes:/m.test(text));
  }
  return served;
}

function minutes(seconds) {
  return Number.isFinite(seconds) ? `${Math.round(seconds / 60)} min` : '—';
}

function row(e) {
  const deploys = (e.deploys ?? []).map((d) => `${d.version} (${d.when})`).join(', ');
  return h('tr', { 'data-episode': e.id, 'data-status': e.status },
    h('th', { scope: 'row' }, time(e.start)),
    h('td', {}, e.status),
    h('td', { class: 'num' }, minutes(e.duration_seconds)),
    h('td', { class: 'num' }, minutes(e.detection_delay_seconds)),
    h('td', {}, (e.rules ?? []).join(', ')),
    h('td', { class: 'num' }, burn(e.peak_burn_rate)),
    h('td', { class: 'num' }, `${percent(e.budget_consumed)} of ${e.budget_window}`),
    h('td', {}, e.postmortem_required ? 'required' : '—'),
    h('td', {}, deploys || '—'),
    h('td', {}, e.contributors?.top || '—'));
}

export function episodesSection(name) {
  const section = h('section', { id: 'episodes' }, h('h2', {}, 'Burn episodes'));
  episodesServed().then(async (ok) => {
    if (!ok) {
      section.append(note('Episodes are not available: this budgetd has no GET /v1/slos/{name}/episodes.'));
      return;
    }
    let answer;
    try {
      answer = await getJson(`/v1/slos/${encodeURIComponent(name)}/episodes`);
    } catch (err) {
      section.append(note(err.message, 'error'));
      return;
    }
    if (!answer.episodes.length) {
      section.append(note(`No burn episode in the last ${answer.range}.`));
      return;
    }
    const head = ['Start', 'Status', 'Duration', 'Detected after', 'Rules', 'Peak burn', 'Budget consumed',
      'Postmortem', 'Deploys', 'Top contributors'];
    section.append(h('p', { class: 'muted' }, `The last ${answer.range}, newest first; `,
      h('code', {}, `budgetd postmortem --slo ${name}`), ' writes the first page of a postmortem.'),
    h('div', { class: 'scroll' }, h('table', { id: 'episodes-table' },
      h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, answer.episodes.map(row)))));
  });
  return section;
}
