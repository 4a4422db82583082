// Plots of an app's last hour from GET /v1/apps/{app}/metrics: requests/s, error rate and
// p99 latency, one line per release, with each release's deploy time marked on the time axis.
import uPlot from './vendor/uplot.js';
import { h, replace } from './dom.js';
import type { Release, Traffic } from './types.js';

const COLORS = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#4b5563'];

interface Plot {
  title: string;
  value: (p: Traffic['points'][number]) => number | null;
}

const PLOTS: Plot[] = [
  { title: 'Requests/s', value: (p) => p.requestsPerSecond },
  { title: 'Errors (% 5xx)', value: (p) => p.errorRate * 100 },
  { title: 'p99 latency (ms)', value: (p) => p.p99Ms },
];

/** Vertical lines at deploy times, labelled with the release they made. */
function deployMarks(marks: { at: number; label: string }[]): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const ctx = u.ctx;
          const { top, height } = u.bbox;
          ctx.save();
          ctx.strokeStyle = '#9ca3af';
          ctx.fillStyle = '#4b5563';
          ctx.setLineDash([4, 4]);
          ctx.font = `${11 * devicePixelRatio}px sans-serif`;
          for (const mark of marks) {
            const x = Math.round(u.valToPos(mark.at, 'x', true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.fillText(mark.label, x + 3 * devicePixelRatio, top + 12 * devicePixelRatio);
          }
          ctx.restore();
        },
      ],
    },
  };
}

export class TrafficCharts {
  readonly element = h('div', { class: 'charts' });
  private plots: uPlot[] = [];

  update(traffic: Traffic, releases: Release[]): void {
    for (const plot of this.plots) plot.destroy();
    this.plots = [];
    const from = Date.parse(traffic.from) / 1000;
    const to = Date.parse(traffic.to) / 1000;
    const times = [...new Set(traffic.points.map((p) => Date.parse(p.at) / 1000))].sort((a, b) => a - b);
    // Requests the proxy answered with no machine (release null) only when there were some.
    const shown = traffic.points.filter((p) => p.release !== null || p.requestsPerSecond > 0);
    const series = [...new Set(shown.map((p) => p.release))].sort((a, b) => (a ?? 0) - (b ?? 0));
    const marks = releases
      .map((r) => ({ at: Date.parse(r.createdAt) / 1000, label: `v${r.version}` }))
      .filter((m) => m.at >= from && m.at <= to);
    const width = Math.max(320, Math.min(this.element.clientWidth || 900, 900));
    replace(this.element);
    if (times.length === 0) {
      this.element.append(h('p', { class: 'muted' }, 'No requests through the proxy in the last hour.'));
    }
    for (const plot of PLOTS) {
      const data: uPlot.AlignedData = [
        times.length > 0 ? times : [from, to],
        ...series.map((release) => {
          const byTime = new Map(
            traffic.points
              .filter((p) => p.release === release)
              .map((p) => [Date.parse(p.at) / 1000, plot.value(p)]),
          );
          return (times.length > 0 ? times : [from, to]).map((t) => byTime.get(t) ?? null);
        }),
      ];
      const holder = h('div', { class: 'chart' });
      this.element.append(holder);
      this.plots.push(
        new uPlot(
          {
            title: plot.title,
            width,
            height: 170,
            scales: {
              x: { time: true, range: [from, to] },
              y: { range: (_u, min, max) => [0, Math.max(1, max ?? min)] },
            },
            series: [
              {},
              ...series.map((release, i) => ({
                label: release === null ? 'no machine' : `v${release}`,
                stroke: COLORS[i % COLORS.length]!,
                width: 1.5,
              })),
            ],
            plugins: [deployMarks(marks)],
          },
          data,
          holder,
        ),
      );
    }
  }

  destroy(): void {
    for (const plot of this.plots) plot.destroy();
    this.plots = [];
  }
}
