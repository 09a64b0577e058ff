// Chart.js (window.Chart, from Debian's libjs-chart.js) configured for budgetd's charts: the
// burn-down of a budget window with deploy markers and alert spans, burn rates against an alert
// factor, and row sparklines. Times are plotted as unix milliseconds on a linear axis, so no
// date adapter (which Debian does not ship) is needed.

const COLORS = { line: '#2563eb', factor: '#dc2626', short: '#9333ea', deploy: '#059669', span: 'rgba(220,38,38,0.12)' };

// Labels the x axis in UTC like the rest of the page: "11-24 10:00".
function tickTime(ms) {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

// Vertical lines (deploys) and shaded spans (alert episodes) drawn behind the lines: a small
// plugin of the chart's own, because Debian ships no annotation plugin.
const markersPlugin = {
  id: 'budgetdMarkers',
  beforeDatasetsDraw(chart, _args, opts) {
    const { ctx, chartArea: area, scales } = chart;
    const x = scales.x;
    ctx.save();
    for (const span of opts.spans ?? []) {
      const from = Math.max(x.getPixelForValue(span.from), area.left);
      const to = Math.min(x.getPixelForValue(span.to), area.right);
      if (to <= from) continue;
      ctx.fillStyle = COLORS.span;
      ctx.fillRect(from, area.top, to - from, area.bottom - area.top);
    }
    ctx.strokeStyle = COLORS.deploy;
    ctx.fillStyle = COLORS.deploy;
    ctx.lineWidth = 2;
    ctx.font = '11px sans-serif';
    for (const marker of opts.markers ?? []) {
      const px = x.getPixelForValue(marker.at);
      if (px < area.left || px > area.right) continue;
      ctx.beginPath();
      ctx.moveTo(px, area.top);
      ctx.lineTo(px, area.bottom);
      ctx.stroke();
      ctx.fillText(marker.label, Math.min(px + 3, area.right - 40), area.top + 11);
    }
    ctx.restore();
  },
};

// Ticks a round duration apart (an hour, six hours, a day, a week), at most about eight of them.
const TICK_STEPS_MS = [3600e3, 6 * 3600e3, 86400e3, 7 * 86400e3];
function timeAxis(from, to) {
  const stepSize = TICK_STEPS_MS.find((s) => (to - from) / s <= 8) ?? TICK_STEPS_MS.at(-1);
  return { type: 'linear', min: from, max: to, ticks: { callback: tickTime, stepSize, maxRotation: 0 } };
}

// The primary budget's remaining share at every history point, as a percentage.
export function burnDownChart(canvas, points, { from, to, markers, spans }) {
  return new window.Chart(canvas, {
    type: 'line',
    data: {
      datasets: [{
        label: 'budget remaining (%)',
        data: points.filter((p) => !p.no_data).map((p) => ({ x: Date.parse(p.ts), y: p.remaining * 100 })),
        borderColor: COLORS.line, pointRadius: 0, borderWidth: 2, stepped: false,
      }],
    },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
      scales: { x: timeAxis(from, to), y: { title: { display: true, text: 'remaining %' } } },
      plugins: { budgetdMarkers: { markers, spans }, legend: { display: false } },
    },
    plugins: [markersPlugin],
  });
}

// One alert rule's long-window burn rate (from history) against its factor; the short window's
// current value is one more point, since history keeps long windows only.
export function burnRateChart(canvas, series, { from, to, factor, spans, label }) {
  return new window.Chart(canvas, {
    type: 'line',
    data: {
      datasets: [
        { label, data: series, borderColor: COLORS.line, pointRadius: 0, borderWidth: 2 },
        { label: `factor ${factor}`, data: [{ x: from, y: factor }, { x: to, y: factor }],
          borderColor: COLORS.factor, borderDash: [6, 4], pointRadius: 0, borderWidth: 1 },
      ],
    },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
      scales: { x: timeAxis(from, to), y: { beginAtZero: true, title: { display: true, text: 'burn rate' } } },
      plugins: { budgetdMarkers: { spans }, legend: { position: 'bottom' } },
    },
    plugins: [markersPlugin],
  });
}

// A row's sparkline of remaining budget: no axes, no tooltips, no animation.
export function sparkline(canvas, points) {
  return new window.Chart(canvas, {
    type: 'line',
    data: { datasets: [{ data: points.map((p) => ({ x: Date.parse(p.ts), y: p.remaining * 100 })),
      borderColor: COLORS.line, borderWidth: 1.5, pointRadius: 0 }] },
    options: {
      animation: false, responsive: false, parsing: false, events: [],
      scales: { x: { type: 'linear', display: false }, y: { display: false } },
      plugins: { legend: { display: false }, tooltip: { enabled: false } },
    },
  });
}
