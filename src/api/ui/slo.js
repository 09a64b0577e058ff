// One SLO (#/slo/NAME): tiles (objective, SLI, remaining, tier, forecast), the burn-down over the
// whole budget window with deploy markers and alert spans, a burn-rate chart per alert rule, the
// alerts table, the exact window table and the previous calendar periods.

import { getJson, availableRoutes } from './api.js';
import { h, percent, burn, count, time, tierBadge, note, durationMs } from './format.js';
import { burnDownChart, burnRateChart } from './charts.js';
import { contributorsSection } from './contributors.js';
import { episodesSection } from './episodes.js';

// Previous calendar periods the store keeps for every calendar window (store::kPreviousPeriodsKept).
const KEPT_PERIODS = 3;

export function mount(root, _params, name) {
  let charts = [];
  const destroyCharts = () => {
    for (const c of charts) c.destroy();
    charts = [];
  };

  async function refresh() {
    const path = `/v1/slos/${encodeURIComponent(name)}`;
    const routes = await availableRoutes();
    let status;
    try {
      status = await getJson(path);
    } catch (err) {
      root.replaceChildren(h('h1', {}, name), note(err.message, 'error'), h('p', {}, h('a', { href: '#/' }, 'All SLOs')));
      return;
    }
    // A calendar SLO's previous periods: the 3 the store keeps (README, "Limits"); budgetd
    // answers a 400 for more, and the page would lose its burn-down with it.
    const calendar = Boolean(status.budget.period_end);
    const history = routes.history
      ? await getJson(`${path}/history${calendar ? `?periods=${KEPT_PERIODS}` : ''}`).catch((err) => ({ error: err.message }))
      : null;
    const deploys = routes.deploys && history?.points
      ? await getJson(`/v1/deploys?service=${encodeURIComponent(status.service)}&range=${rangeOf(status, history)}`)
        .catch((err) => ({ error: err.message }))
      : null;
    destroyCharts();
    root.replaceChildren(...page(status, history, deploys, routes, charts));
  }

  return { refresh, destroy: destroyCharts };
}

// The deploys to mark: those of the budget window (a calendar window: the history's span, in
// whole hours rounded up), as a budgetd duration for GET /v1/deploys.
function rangeOf(status, history) {
  if (durationMs(status.budget.window)) return status.budget.window;
  const hours = Math.ceil((Date.parse(history.to) - Date.parse(history.from)) / 3600e3);
  return `${Math.max(hours, 1)}h`;
}

function page(status, history, deploys, routes, charts) {
  return [
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'SLOs'), ' / ', status.slo),
    h('h1', {}, status.slo),
    h('p', { class: 'muted' }, status.description ? `${status.description} — ` : '', 'service ',
      h('a', { href: `#/gate?service=${encodeURIComponent(status.service)}` }, status.service),
      ', evaluated at ', time(status.at)),
    tiles(status),
    burnDownSection(status, history, deploys, routes, charts),
    burnRateSection(status, history, routes, charts),
    alertsSection(status),
    contributorsSection(status),
    episodesSection(status.slo),
    windowsSection(status),
    periodsSection(history),
  ];
}

function tile(label, value, extra) {
  return h('div', { class: 'tile' }, h('h2', {}, label), h('p', { class: 'value' }, value), extra ?? '');
}

function tiles(s) {
  const b = s.budget;
  const f = s.forecast;
  const feature = s.tier.changes?.feature?.decision;
  const recovers = (f.recovers ?? []).map((r) => h('li', {}, `${r.tier} (> ${r.above_percent} %): `,
    r.at ? time(r.at) : 'not within one window'));
  return h('section', { class: 'tiles', 'aria-label': 'Summary' },
    tile('Objective', `${s.objective} %`, h('p', { class: 'muted' }, `over ${b.window}`)),
    tile('SLI', b.sli === null || b.sli === undefined ? '—' : `${(b.sli * 100).toFixed(3)} %`,
      h('p', { class: 'muted' }, `${count(b.good)} good of ${count(b.total)} (${b.window})`, b.no_data ? ' — no data' : '')),
    tile('Remaining', percent(b.remaining), h('p', { class: 'muted' }, `${percent(b.consumed)} consumed`)),
    tile('Tier', tierBadge(s.tier.name), h('p', { class: 'muted' }, s.tier.summary)),
    tile('Forecast', f.exhausted_at ? h('span', {}, 'exhausted ', time(f.exhausted_at)) : 'not burning out',
      h('div', { class: 'muted' },
        h('p', {}, `1h burn ${burn(f.burn_rate_1h)}; feature deploys ${feature === 'allow' ? 'open now' : 'frozen'}`),
        recovers.length ? h('p', {}, feature === 'allow' ? 'recovers to:' : 'reopen as the budget recovers to:') : '',
        recovers.length ? h('ul', { class: 'recovers' }, recovers) : '')));
}

// Alert episodes as spans [start, end or now] on the time axis.
function spansOf(status, to) {
  return (status.episodes ?? []).map((e) => ({ from: Date.parse(e.start), to: e.end ? Date.parse(e.end) : to }));
}

function chartBox(id, label) {
  const canvas = h('canvas', { id, role: 'img', 'aria-label': label });
  return [h('div', { class: 'chart' }, canvas), canvas];
}

function burnDownSection(status, history, deploys, routes, charts) {
  const section = h('section', { id: 'burn-down' }, h('h2', {}, `Burn-down over ${status.budget.window}`));
  if (!routes.history) {
    section.append(note('History is not available: this budgetd has no GET /v1/slos/{name}/history, so no burn-down is drawn.'));
    return section;
  }
  if (history.error) {
    section.append(note(history.error, 'error'));
    return section;
  }
  const from = Date.parse(history.from);
  const to = Date.parse(history.to);
  const list = deploys?.deploys ?? [];
  const markers = list.map((d) => ({ at: Date.parse(d.ts), label: d.version }));
  const [box, canvas] = chartBox('burn-down-chart', `budget remaining from ${history.from} to ${history.to}`);
  section.append(box, h('p', { class: 'muted legend' },
    `step ${history.step}; green lines: deploys (${list.length}); shaded: alert episodes`));
  if (!routes.deploys) section.append(note('Deploy markers are not available: this budgetd has no GET /v1/deploys.'));
  else if (deploys?.error) section.append(note(`Deploys: ${deploys.error}`, 'error'));
  if (window.Chart) charts.push(burnDownChart(canvas, history.points, { from, to, markers, spans: spansOf(status, to) }));
  return section;
}

function burnRateSection(status, history, routes, charts) {
  const section = h('section', { id: 'burn-rates' }, h('h2', {}, 'Burn rate per alert rule'));
  if (!status.alerts.length) {
    section.append(note('This SLO has no alert rules.'));
    return section;
  }
  if (!routes.history || !history?.points) {
    section.append(note('Burn-rate history is not available without the history endpoint; the alerts table has the rates now.'));
    return section;
  }
  const from = Date.parse(history.from);
  const to = Date.parse(history.to);
  const grid = h('div', { class: 'chart-grid' });
  for (const a of status.alerts) {
    const series = history.points.filter((p) => p.burn_rate?.[a.long] !== undefined)
      .map((p) => ({ x: Date.parse(p.ts), y: p.burn_rate[a.long] }));
    const [box, canvas] = chartBox(`burn-${a.rule}`, `${a.rule}: ${a.long} burn rate against factor ${a.factor}`);
    grid.append(h('figure', {}, box, h('figcaption', {},
      `${a.rule} (${a.severity}): ${a.long} burn ${burn(a.long_burn_rate)}, ${a.short} burn ${burn(a.short_burn_rate)}, factor ${a.factor}`)));
    if (window.Chart) {
      const spans = spansOf({ episodes: status.episodes.filter((e) => e.rule === a.rule) }, to);
      charts.push(burnRateChart(canvas, series, { from, to, factor: a.factor, spans, label: `${a.long} burn rate` }));
    }
  }
  section.append(grid);
  return section;
}

function alertsSection(status) {
  const head = ['Rule', 'Severity', 'State', 'Since', 'Long burn', 'Short burn', 'Factor', 'Budget consumed', 'Postmortem', 'Runbook'];
  const rows = status.alerts.map((a) => h('tr', { 'data-rule': a.rule, 'data-state': a.state ?? (a.firing ? 'firing' : 'inactive') },
    h('th', { scope: 'row' }, a.rule),
    h('td', {}, h('span', { class: `alert alert-${a.severity}` }, a.severity)),
    h('td', { class: `state state-${a.state ?? 'inactive'}` }, (a.state ?? (a.firing ? 'firing' : 'inactive')).replace('_', ' '),
      a.insufficient_data ? h('span', { class: 'mark' }, `${count(a.events)} of ${count(a.min_events)} events`) : ''),
    h('td', {}, a.since ? time(a.since) : '—'),
    h('td', { class: 'num' }, `${burn(a.long_burn_rate)} (${a.long})`),
    h('td', { class: 'num' }, `${burn(a.short_burn_rate)} (${a.short})`),
    h('td', { class: 'num' }, a.factor),
    h('td', { class: 'num' }, a.budget_consumed === undefined ? '—' : percent(a.budget_consumed)),
    h('td', {}, a.postmortem_required ? 'required' : '—'),
    h('td', {}, a.runbook_url ? h('a', { href: a.runbook_url, rel: 'noreferrer' }, 'runbook') : '—')));
  const few = status.too_few_events;
  return h('section', { id: 'alerts' }, h('h2', {}, 'Alerts'),
    few?.flagged ? h('p', { class: 'mark', id: 'too-few-events' },
      `Too few events: ${count(few.events)} in the budget window, where one bad event needs ${count(few.needed)} not to overspend the budget.`) : '',
    rows.length ? table('alerts-table', head, rows) : note('No alert rules.'));
}

function windowsSection(status) {
  const head = ['Window', 'Start', 'End', 'Good', 'Total', 'Bad', 'Burn rate', 'Resolution'];
  const all = [...status.budgets.map((b) => ({ ...b, kind: b.primary ? 'budget (primary)' : 'budget' })),
    ...status.windows.map((w) => ({ ...w, kind: 'alert window' }))];
  const rows = all.map((w) => h('tr', {},
    h('th', { scope: 'row' }, w.window, h('span', { class: 'muted' }, ` ${w.kind}`)),
    h('td', {}, time(w.start)), h('td', {}, time(w.end)),
    h('td', { class: 'num' }, count(w.good)), h('td', { class: 'num' }, count(w.total)),
    h('td', { class: 'num' }, count(w.bad)), h('td', { class: 'num' }, burn(w.burn_rate)),
    h('td', {}, w.resolution)));
  return h('section', { id: 'windows' }, h('h2', {}, 'Windows, exactly'),
    h('p', { class: 'muted' }, 'Each window covers the events with start ≤ ts < end; the counts are exact.'),
    table('window-table', head, rows));
}

function periodsSection(history) {
  if (!history?.periods?.length) return '';
  const rows = history.periods.map((p) => h('tr', {},
    h('td', {}, time(p.start)), h('td', {}, time(p.end)), h('td', { class: 'num' }, count(p.good)),
    h('td', { class: 'num' }, count(p.total)),
    h('td', { class: 'num' }, Number.isFinite(p.compliance) ? `${p.compliance.toFixed(3)} %` : '—'),
    h('td', {}, p.met ? 'met' : 'missed')));
  return h('section', { id: 'periods' }, h('h2', {}, 'Previous periods'),
    table('periods-table', ['Start', 'End', 'Good', 'Total', 'Compliance', 'Objective'], rows));
}

function table(id, head, rows) {
  return h('div', { class: 'scroll' }, h('table', { id },
    h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows)));
}
