// Calls and errors per minute as server-rendered inline SVG (no script): one small chart per service.
// Each chart is an image with a text alternative (the totals), and each bar has a tooltip title.
import type { FC } from 'hono/jsx';
import { formatClock, formatTime } from '../../shell/format.ts';
import type { PageContext } from '../../shell/layout.tsx';
import type { TrafficKey } from './messages.ts';
import { CHART_MINUTES, type ServiceSeries, type TrafficStats } from './stats.ts';

const W = 480;
const H = 150;
const PAD = { left: 40, right: 8, top: 10, bottom: 24 };
const CALLS = '#2f6db5';
const ERRORS = '#c0392b';

/** 1, 2, 5, 10, 20, 50, … at or above n. */
function niceMax(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

const ServiceChart: FC<{ series: ServiceSeries; stats: TrafficStats; page: PageContext<TrafficKey>; index: number }> = ({ series, stats, page, index }) => {
  const { t, lang } = page;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const max = niceMax(Math.max(...series.calls));
  const barW = plotW / CHART_MINUTES;
  const y = (v: number): number => PAD.top + plotH - (v / max) * plotH;
  const titleId = `chart-${index}-title`;
  const label = t('traffic.chart.label', {
    service: series.service,
    calls: series.totalCalls,
    errors: series.totalErrors,
    to: formatTime(stats.end - 1, lang),
  });
  const ticks = [0, 30, 60].map((m) => ({ x: PAD.left + (m / CHART_MINUTES) * plotW, text: formatClock(stats.start + m * 60, lang) }));
  return (
    <figure class="chart" data-chart-service={series.service}>
      <h3>{series.service}</h3>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={titleId} focusable="false">
        <title id={titleId}>{label}</title>
        <line x1={PAD.left} x2={W - PAD.right} y1={y(max)} y2={y(max)} stroke="#d5d9de" />
        <line x1={PAD.left} x2={W - PAD.right} y1={y(max / 2)} y2={y(max / 2)} stroke="#eceff2" />
        <line x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} stroke="#6b7480" />
        <text x={PAD.left - 6} y={y(max) + 4} text-anchor="end" font-size="11" fill="#555">
          {String(max)}
        </text>
        <text x={PAD.left - 6} y={y(0) + 4} text-anchor="end" font-size="11" fill="#555">
          0
        </text>
        {series.calls.map((calls, i) => {
          const errors = series.errors[i] ?? 0;
          if (calls === 0) return null;
          const x = PAD.left + i * barW + 1;
          const minute = formatClock(stats.start + i * 60, lang);
          return (
            <g>
              <title>{`${minute} – ${t('traffic.chart.calls')}: ${calls}, ${t('traffic.chart.errors')}: ${errors}`}</title>
              <rect x={x} y={y(calls)} width={Math.max(barW - 2, 1)} height={y(0) - y(calls)} fill={CALLS} />
              {errors > 0 ? <rect x={x} y={y(errors)} width={Math.max(barW - 2, 1)} height={y(0) - y(errors)} fill={ERRORS} /> : null}
            </g>
          );
        })}
        {ticks.map((tick, i) => (
          <text x={tick.x} y={H - 6} font-size="11" fill="#555" text-anchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}>
            {tick.text}
          </text>
        ))}
      </svg>
      <p class="legend">
        <span>
          <span class="swatch swatch-calls" aria-hidden="true" />
          {`${t('traffic.chart.calls')}: ${series.totalCalls}`}
        </span>
        <span>
          <span class="swatch swatch-errors" aria-hidden="true" />
          {`${t('traffic.chart.errors')}: ${series.totalErrors}`}
        </span>
      </p>
    </figure>
  );
};

export const TrafficCharts: FC<{ stats: TrafficStats; page: PageContext<TrafficKey> }> = ({ stats, page }) => {
  const { t, lang } = page;
  return (
    <section aria-labelledby="chart-heading">
      <h2 id="chart-heading">{t('traffic.chart.title', { to: formatTime(stats.end - 1, lang) })}</h2>
      {stats.series.length === 0 ? (
        <p>{t('traffic.chart.none')}</p>
      ) : (
        <div class="charts">
          {stats.series.map((s, i) => (
            <ServiceChart series={s} stats={stats} page={page} index={i} />
          ))}
        </div>
      )}
      {stats.truncated ? <p class="muted">{t('traffic.chart.more', { count: stats.maxRecords })}</p> : null}
    </section>
  );
};
