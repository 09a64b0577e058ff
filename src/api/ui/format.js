// Small DOM and number helpers every page shares. Elements are built with h(), never from
// HTML strings, so an SLO or service name can never inject markup.

// h('a', {href: '#/x', class: 'y'}, 'text', child, ...): an element with attributes and children.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// A fraction of the budget as a percentage: 0.4213 -> "42.1 %" (negative once overspent).
export function percent(fraction, digits = 1) {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)} %` : '—';
}

// A burn rate: 1 spends the budget exactly over the window.
export function burn(rate) {
  return Number.isFinite(rate) ? `${rate < 10 ? rate.toFixed(2) : rate.toFixed(1)}×` : '—';
}

export function count(n) {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : '—';
}

// <time datetime="RFC 3339">, shown in UTC as budgetd reports it.
export function time(rfc3339) {
  if (!rfc3339) return h('span', { class: 'muted' }, '—');
  const shown = rfc3339.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
  return h('time', { datetime: rfc3339 }, shown);
}

// The tier as a word and a colour: the word always, so it never rests on colour alone.
const KNOWN_TIERS = ['healthy', 'caution', 'warning', 'exhausted'];
export function tierBadge(tier) {
  const known = KNOWN_TIERS.includes(tier) ? tier : 'other';
  return h('span', { class: `tier tier-${known}` }, tier ?? 'unknown');
}

// Worst first: a tier budgetd names worse sorts first; within a tier, less budget left first.
const TIER_RANK = { exhausted: 0, warning: 1, caution: 2, healthy: 3 };
export function tierRank(tier) {
  return TIER_RANK[tier] ?? 1.5; // a custom tier between warning and caution, then by remaining
}

// budgetd duration strings ("30d", "1h", "90s") in milliseconds; null for calendar windows
// ("month:Europe/Berlin") and anything else.
const UNIT_MS = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };
export function durationMs(text) {
  const m = /^(\d+)([smhdw])$/.exec(text ?? '');
  return m ? Number(m[1]) * UNIT_MS[m[2]] : null;
}

// A note in place of something the server cannot answer (yet), e.g. a route not in this build.
export function note(text, kind = 'info') {
  return h('p', { class: `note note-${kind}`, role: kind === 'error' ? 'alert' : 'note' }, text);
}

export function sloLink(name) {
  return h('a', { href: `#/slo/${encodeURIComponent(name)}` }, name);
}
