// The SLO list (#/?q=&service=&tier=&firing=1): every SLO, worst first, with its tier (word and
// colour), remaining budget, 1h burn rate, firing alerts and a sparkline of the last days.
// Filters live in the URL, so a filtered view can be linked.

import { getJson, availableRoutes } from './api.js';
import { h, percent, burn, tierBadge, tierRank, durationMs, note, sloLink } from './format.js';
import { sparkline } from './charts.js';

const SPARK_MS = 3 * 86400e3; // "the last days": three, or the window if it is shorter
// Details (for the 1h burn rate and low traffic) and sparklines cost a request per SLO each, so
// only this many rows get them; the rest show what the list itself says.
const DETAIL_LIMIT = 200;

export function mount(root, params) {
  const filters = {
    q: params.get('q') ?? '',
    service: params.get('service') ?? '',
    tier: params.get('tier') ?? '',
    firing: params.get('firing') === '1',
  };
  let rows = []; // [{ summary, detail, spark }]
  let charts = [];

  const search = h('input', { id: 'f-q', type: 'search', value: filters.q, placeholder: 'name or service' });
  const service = h('select', { id: 'f-service' }, h('option', { value: '' }, 'all'));
  const tier = h('select', { id: 'f-tier' }, h('option', { value: '' }, 'all'));
  const firing = h('input', { id: 'f-firing', type: 'checkbox', checked: filters.firing });
  const summary = h('p', { class: 'muted', id: 'list-summary', role: 'status' });
  const tbody = h('tbody');
  const table = h('table', { class: 'slos', id: 'slo-table' },
    h('caption', {}, 'SLOs, worst first (least budget left in the worst tier)'),
    h('thead', {}, h('tr', {}, ['SLO', 'Service', 'Objective', 'Tier', 'Remaining', '1h burn', 'Firing', 'Last days']
      .map((t) => h('th', { scope: 'col' }, t)))),
    tbody);
  const onFilter = () => {
    Object.assign(filters, { q: search.value, service: service.value, tier: tier.value, firing: firing.checked });
    keepInUrl(filters);
    render();
  };
  search.addEventListener('input', onFilter);
  for (const el of [service, tier, firing]) el.addEventListener('change', onFilter);

  root.append(
    h('h1', {}, 'Service level objectives'),
    h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
      h('label', { for: 'f-q' }, 'Search ', search),
      h('label', { for: 'f-service' }, 'Service ', service),
      h('label', { for: 'f-tier' }, 'Tier ', tier),
      h('label', { for: 'f-firing' }, firing, ' firing only')),
    summary, h('div', { class: 'scroll' }, table));

  function render() {
    fillOptions(service, rows.map((r) => r.summary.service), filters.service);
    fillOptions(tier, rows.map((r) => r.summary.tier), filters.tier);
    for (const c of charts) c.destroy();
    charts = [];
    const shown = rows.filter((r) => matches(r.summary, filters));
    tbody.replaceChildren(...shown.map((r) => row(r, charts)));
    summary.textContent = `${shown.length} of ${rows.length} SLOs shown`;
  }

  async function refresh() {
    const list = await getJson('/v1/slos');
    const sorted = [...list.slos].sort(worstFirst);
    const routes = await availableRoutes();
    const fresh = await Promise.all(sorted.map((s, i) => enrich(s, i < DETAIL_LIMIT, routes.history)));
    rows = fresh;
    if (!routes.history && !root.querySelector('#no-history')) {
      const missing = note('Sparklines are not available: this budgetd has no history endpoint (GET /v1/slos/{name}/history).');
      missing.id = 'no-history';
      summary.after(missing);
    }
    render();
  }

  return { refresh, destroy: () => charts.forEach((c) => c.destroy()) };
}

function worstFirst(a, b) {
  return tierRank(a.tier) - tierRank(b.tier) || (a.remaining ?? 0) - (b.remaining ?? 0) || a.slo.localeCompare(b.slo);
}

async function enrich(summary, withDetail, withHistory) {
  if (!withDetail || summary.error) return { summary, detail: null, spark: null };
  const name = encodeURIComponent(summary.slo);
  const windowMs = durationMs(summary.window);
  const range = Math.min(SPARK_MS, windowMs ?? SPARK_MS) / 3600e3;
  const [detail, spark] = await Promise.all([
    getJson(`/v1/slos/${name}`).catch(() => null),
    withHistory ? getJson(`/v1/slos/${name}/history?range=${range}h`).catch(() => null) : null,
  ]);
  return { summary, detail, spark };
}

function matches(s, f) {
  const q = f.q.trim().toLowerCase();
  if (q && !s.slo.toLowerCase().includes(q) && !s.service.toLowerCase().includes(q)) return false;
  if (f.service && s.service !== f.service) return false;
  if (f.tier && s.tier !== f.tier) return false;
  if (f.firing && !(s.firing?.length > 0)) return false;
  return true;
}

function row({ summary: s, detail, spark }, charts) {
  const marks = [];
  if (s.error) marks.push(h('span', { class: 'mark mark-error' }, s.error));
  if (s.no_data) marks.push(h('span', { class: 'mark', title: 'no events in the budget window' }, 'no data'));
  // Low traffic is a state, not silence: rules min_events holds back, and an SLO whose budget
  // window is too small for one bad event to matter.
  const held = s.insufficient_data ?? [];
  if (!s.no_data && held.length) {
    marks.push(h('span', { class: 'mark', title: `fewer than min_events in the long window of ${held.join(', ')}: those alerts cannot fire` },
      'insufficient data'));
  }
  if (!s.no_data && s.too_few_events) {
    marks.push(h('span', { class: 'mark', title: 'the budget window holds fewer events than one bad event needs not to overspend the budget' },
      'too few events'));
  }
  const oneHour = detail?.windows?.find((w) => w.window === '1h')?.burn_rate ?? detail?.forecast?.burn_rate_1h;
  const severity = (rule) => detail?.alerts?.find((a) => a.rule === rule)?.severity ?? '';
  const canvas = h('canvas', { width: 120, height: 28, 'aria-label': `budget remaining over the last days, ${s.slo}`, role: 'img' });
  if (spark?.points?.length && window.Chart) charts.push(sparkline(canvas, spark.points.filter((p) => !p.no_data)));
  return h('tr', { 'data-slo': s.slo, 'data-tier': s.tier },
    h('th', { scope: 'row' }, sloLink(s.slo), ...marks),
    h('td', {}, h('a', { href: `#/gate?service=${encodeURIComponent(s.service)}` }, s.service)),
    h('td', { class: 'num' }, s.objective !== undefined ? `${s.objective} %` : '—'),
    h('td', {}, tierBadge(s.tier)),
    h('td', { class: 'num remaining' }, percent(s.remaining)),
    h('td', { class: 'num' }, burn(oneHour)),
    h('td', { class: 'firing' }, s.firing?.length
      ? s.firing.map((r) => h('span', { class: `alert alert-${severity(r)}` }, `${r}${severity(r) ? ` (${severity(r)})` : ''}`))
      : h('span', { class: 'muted' }, 'none')),
    h('td', {}, spark ? canvas : h('span', { class: 'muted' }, '—')));
}

function fillOptions(select, values, chosen) {
  const unique = [...new Set(values)].sort();
  if (chosen && !unique.includes(chosen)) unique.push(chosen); // a linked filter stays visible
  const have = [...select.options].slice(1).map((o) => o.value);
  if (have.join('\n') !== unique.join('\n')) {
    select.replaceChildren(h('option', { value: '' }, 'all'), ...unique.map((v) => h('option', { value: v }, v)));
  }
  select.value = chosen;
}

// The filters into the hash, without a history entry per keystroke or a re-mount.
function keepInUrl(f) {
  const p = new URLSearchParams();
  if (f.q) p.set('q', f.q);
  if (f.service) p.set('service', f.service);
  if (f.tier) p.set('tier', f.tier);
  if (f.firing) p.set('firing', '1');
  const query = p.toString();
  history.replaceState(null, '', `#/${query ? `?${query}` : ''}`);
}
