// The SLO page's Contributors panel (attribution:): per attributed label, its values over the
// budget window ranked by bad events, from the status's `contributors` (the same object as
// GET /v1/slos/{name}/contributors). Nothing for an SLO without attribution.

import { h, count, time, note } from './format.js';

export function contributorsSection(status) {
  const c = status.contributors;
  if (!c) return '';
  const section = h('section', { id: 'contributors' }, h('h2', {}, `Contributors over ${c.window}`));
  if (c.error) {
    section.append(note(c.error, 'error'));
    return section;
  }
  section.append(h('p', { class: 'muted' }, 'Exact bad and total events per label value from ', time(c.start), ' to ',
    time(c.end), '; values past max_values count as “other”, so each label adds up to the SLO.'));
  for (const label of c.labels) section.append(labelTable(label));
  if (!c.labels.some((l) => l.values.length)) section.append(note('No events in this window yet.'));
  return section;
}

function share(x) {
  return `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)} %`;
}

function labelTable(label) {
  const rows = label.values.map((v) => h('tr', { 'data-value': v.value, 'data-other': String(v.other) },
    h('th', { scope: 'row' }, v.other ? h('em', {}, 'other') : (v.value === '' ? h('em', {}, '(no label)') : v.value)),
    h('td', { class: 'num' }, count(v.bad)), h('td', { class: 'num' }, count(v.total)),
    h('td', { class: 'num' }, share(v.error_ratio)), h('td', { class: 'num' }, share(v.share_of_bad))));
  return h('div', { class: 'scroll' }, h('table', { id: `contributors-${label.label}`, class: 'contributors' },
    h('caption', {}, `${label.label}: ${count(label.bad)} bad of ${count(label.total)}`),
    h('thead', {}, h('tr', {}, ['Value', 'Bad', 'Total', 'Error ratio', 'Share of bad'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)));
}
