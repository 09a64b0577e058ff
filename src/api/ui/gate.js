// The deploy gate (#/gate?service=S): per service, what GET /v1/gate answers now for each change
// type with its reasons, and the service's recent deploys with what each has cost.

import { getJson, availableRoutes } from './api.js';
import { h, percent, burn, count, time, note, sloLink } from './format.js';

const CHANGES = ['feature', 'risky', 'reliability', 'security'];
const DEPLOY_RANGE = '7d';

export function mount(root, params) {
  const chosen = params.get('service') ?? '';

  async function refresh() {
    const list = await getJson('/v1/slos');
    const services = [...new Set(list.slos.map((s) => s.service))].sort();
    const shown = chosen ? services.filter((s) => s === chosen) : services;
    const routes = await availableRoutes();
    const sections = await Promise.all(shown.map((s) => serviceSection(s, routes)));
    root.replaceChildren(
      h('h1', {}, 'Deploy gate'),
      picker(services, chosen),
      chosen && !services.includes(chosen) ? note(`No SLO has the service '${chosen}'.`, 'error') : '',
      routes.deploys ? '' : note('Recent deploys are not available: this budgetd has no GET /v1/deploys.'),
      ...sections);
  }

  return { refresh, destroy() {} };
}

function picker(services, chosen) {
  const select = h('select', { id: 'gate-service' }, h('option', { value: '' }, 'all services'),
    ...services.map((s) => h('option', { value: s, selected: s === chosen }, s)));
  select.addEventListener('change', () => {
    location.hash = select.value ? `#/gate?service=${encodeURIComponent(select.value)}` : '#/gate';
  });
  return h('form', { class: 'filters', onsubmit: (e) => e.preventDefault() },
    h('label', { for: 'gate-service' }, 'Service ', select));
}

async function serviceSection(service, routes) {
  const q = encodeURIComponent(service);
  const answers = await Promise.all(CHANGES.map((c) =>
    // A dry run: looking at the page gates nothing, so it is neither counted nor recorded.
    getJson(`/v1/gate?service=${q}&change=${c}&dry_run=true`).catch((err) => ({ change: c, error: err.message }))));
  const deploys = routes.deploys
    ? await getJson(`/v1/deploys?service=${q}&range=${DEPLOY_RANGE}`).catch((err) => ({ error: err.message }))
    : null;
  const lastDeploy = answers.find((a) => a.last_deploy)?.last_deploy;
  return h('section', { class: 'service', 'data-service': service },
    h('h2', {}, service),
    gateTable(service, answers),
    lastDeploy ? h('p', {}, 'Last deploy: ', deployLine(lastDeploy)) : '',
    deploys ? deploysSection(deploys) : '');
}

function gateTable(service, answers) {
  const rows = answers.map((a) => a.error
    ? h('tr', { 'data-change': a.change }, h('th', { scope: 'row' }, a.change), h('td', { colspan: 3 }, note(a.error, 'error')))
    : h('tr', { 'data-change': a.change, 'data-decision': a.decision },
      h('th', { scope: 'row' }, a.change),
      h('td', {}, h('span', { class: `decision decision-${a.decision}` }, a.decision.replaceAll('_', ' ')),
        a.override ? h('span', { class: 'mark', 'data-override': a.override.id }, `override by ${a.override.by || 'someone'} until `, time(a.override.expires_at)) : '',
        reopens(a)),
      h('td', {}, a.requirements.length ? a.requirements.join(', ') : '—'),
      h('td', {}, a.reasons.length ? h('ul', { class: 'reasons' }, a.reasons.map((r) => h('li', {}, r))) : 'no objection')));
  return h('div', { class: 'scroll' }, h('table', { class: 'gate', id: `gate-${service}` },
    h('caption', {}, `What the gate answers now for ${service}`),
    h('thead', {}, h('tr', {}, ['Change', 'Decision', 'Requires', 'Reasons'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)));
}

// When a denied change gets through again, if no new errors come in (the latest of its SLOs').
function reopens(a) {
  if (a.allowed) return '';
  const times = a.slos.map((s) => s.reopens_at?.[a.change]);
  if (times.some((t) => t === null || t === undefined)) return h('span', { class: 'muted reopens' }, ' no forecast reopens it');
  const latest = times.reduce((x, y) => (Date.parse(x) > Date.parse(y) ? x : y));
  return h('span', { class: 'muted reopens' }, ' reopens around ', time(latest));
}

function deployLine(d) {
  return h('span', {}, `${d.version} (${d.change ?? 'change'}) deployed `, time(d.ts));
}

function deploysSection(answer) {
  if (answer.error) return note(`Deploys: ${answer.error}`, 'error');
  if (!answer.deploys.length) return note(`No deploys in the last ${DEPLOY_RANGE}.`);
  const rows = answer.deploys.map((d) => {
    const slos = d.impact?.slos ?? [];
    return h('tr', { 'data-deploy': d.id },
      h('th', { scope: 'row' }, d.url ? h('a', { href: d.url, rel: 'noreferrer' }, d.version) : d.version),
      h('td', {}, time(d.ts)),
      h('td', {}, d.change ?? '—'),
      h('td', {}, d.commit ?? '—'),
      h('td', {}, slos.length ? h('ul', { class: 'impact' }, slos.map((s) => h('li', {}, sloLink(s.slo),
        `: ${percent(s.consumed)} of ${s.window} budget (${count(s.bad)} bad of ${count(s.total)}); 1h burn ${burn(s.burn_rate_1h_before)} → ${burn(s.burn_rate_1h_after)}`)))
        : '—'),
      h('td', {}, d.impact?.ongoing ? 'ongoing' : h('span', {}, 'until ', time(d.impact?.to))));
  });
  return h('div', { class: 'scroll' }, h('table', { class: 'deploys' },
    h('caption', {}, `Deploys in the last ${DEPLOY_RANGE}, newest first, and what each cost`),
    h('thead', {}, h('tr', {}, ['Version', 'Deployed', 'Change', 'Commit', 'Cost', 'Span'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)));
}
