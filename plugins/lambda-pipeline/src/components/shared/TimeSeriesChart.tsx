import { makeStyles, Theme, useTheme } from '@material-ui/core/styles';
import { useId } from 'react';
import { formatTime } from './format';

export type ChartSeries = {
  id: string;
  label: string;
  points: Array<{ t: string; value: number }>;
  /** Drawn thicker and named in the legend (the bottleneck). */
  emphasis?: string;
};

const ANCHORS = ['start', 'middle', 'end'] as const;
const W = 640;
const H = 220;
const PAD = { top: 16, right: 16, bottom: 28, left: 64 };

const useStyles = makeStyles(theme => ({
  svg: { width: '100%', height: 'auto', display: 'block' },
  axis: { fill: theme.palette.text.secondary, fontSize: 11 },
  grid: { stroke: theme.palette.divider, strokeWidth: 1 },
  target: {
    stroke: theme.palette.text.primary,
    strokeDasharray: '6 4',
    strokeWidth: 1.5,
  },
  targetLabel: { fill: theme.palette.text.primary, fontSize: 11 },
  legend: {
    listStyle: 'none',
    padding: 0,
    margin: theme.spacing(1, 0, 0),
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
  },
  swatch: {
    display: 'inline-block',
    width: 14,
    height: 4,
    marginRight: 6,
    verticalAlign: 'middle',
  },
  emphasis: { fontWeight: 600 },
}));

/** Distinct colours from the theme, so the chart reads in light and dark. */
export function seriesColors(theme: Theme): string[] {
  return [
    theme.palette.primary.main,
    theme.palette.secondary.main,
    theme.palette.success?.main ?? '#2e7d32',
    theme.palette.warning?.main ?? '#ed6c02',
    theme.palette.info?.main ?? '#0288d1',
  ];
}

const niceMax = (value: number) => {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find(s => s * magnitude >= value)!;
  return step * magnitude;
};

/**
 * A line chart of series over time, with an optional target line. Drawn as
 * SVG from the theme's colours; for screen readers it is one image whose
 * description states each series' newest value and the target, and the
 * legend below repeats them as text.
 */
export function TimeSeriesChart(props: {
  title: string;
  series: ChartSeries[];
  target?: { value: number; label: string };
  formatValue: (value: number) => string;
  /** Shown beside each series in the legend (e.g. its newest value). */
  legendValue?: (series: ChartSeries) => string;
}) {
  const { title, series, target, formatValue, legendValue } = props;
  const classes = useStyles();
  const theme = useTheme();
  const colors = seriesColors(theme);
  const titleId = useId();
  const descId = useId();

  const times = series.flatMap(s => s.points.map(p => Date.parse(p.t)));
  const values = series.flatMap(s => s.points.map(p => p.value));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const yMax = niceMax(Math.max(target?.value ?? 0, ...values, 0) * 1.05);
  const x = (t: number) =>
    PAD.left +
    (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) =>
    H - PAD.bottom - (v / yMax) * (H - PAD.top - PAD.bottom);
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map(f => f * yMax);
  let xTicks: number[] = [];
  if (times.length > 0) xTicks = t1 === t0 ? [t0] : [t0, (t0 + t1) / 2, t1];

  const newest = (s: ChartSeries) =>
    s.points.length
      ? formatValue(s.points[s.points.length - 1].value)
      : 'no data';
  const description = [
    ...series.map(
      s =>
        `${s.label}${s.emphasis ? ` (${s.emphasis})` : ''}: ${newest(s)} now`,
    ),
    ...(target ? [`${target.label}: ${formatValue(target.value)}`] : []),
  ].join('; ');

  return (
    <figure style={{ margin: 0 }}>
      <svg
        className={classes.svg}
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`${titleId} ${descId}`}
      >
        <title id={titleId}>{title}</title>
        <desc id={descId}>{description}</desc>
        {yTicks.map(v => (
          <g key={v}>
            <line
              className={classes.grid}
              x1={PAD.left}
              x2={W - PAD.right}
              y1={y(v)}
              y2={y(v)}
            />
            <text
              className={classes.axis}
              x={PAD.left - 6}
              y={y(v) + 4}
              textAnchor="end"
            >
              {formatValue(v).replace(/ .*$/, '')}
            </text>
          </g>
        ))}
        {xTicks.map((t, i) => (
          <text
            key={t}
            className={classes.axis}
            x={x(t)}
            y={H - 8}
            textAnchor={ANCHORS[xTicks.length === 1 ? 1 : i] ?? 'middle'}
          >
            {formatTime(new Date(t).toISOString())}
          </text>
        ))}
        {target && (
          <g>
            <line
              className={classes.target}
              x1={PAD.left}
              x2={W - PAD.right}
              y1={y(target.value)}
              y2={y(target.value)}
            />
            <text
              className={classes.targetLabel}
              x={W - PAD.right}
              y={y(target.value) - 4}
              textAnchor="end"
            >
              {target.label}
            </text>
          </g>
        )}
        {series.map((s, i) => {
          const color = colors[i % colors.length];
          const d = s.points
            .map(
              (p, j) =>
                `${j === 0 ? 'M' : 'L'}${x(Date.parse(p.t)).toFixed(1)},${y(
                  p.value,
                ).toFixed(1)}`,
            )
            .join(' ');
          return (
            <g key={s.id} data-series={s.id}>
              {s.points.length > 1 && (
                <path
                  d={d}
                  fill="none"
                  stroke={color}
                  strokeWidth={s.emphasis ? 3.5 : 2}
                />
              )}
              {s.points.length === 1 && (
                <circle
                  cx={x(Date.parse(s.points[0].t))}
                  cy={y(s.points[0].value)}
                  r={3}
                  fill={color}
                />
              )}
            </g>
          );
        })}
      </svg>
      <ul className={classes.legend} aria-label={`${title}: legend`}>
        {series.map((s, i) => (
          <li key={s.id} className={s.emphasis ? classes.emphasis : undefined}>
            <span
              className={classes.swatch}
              style={{ background: colors[i % colors.length] }}
              aria-hidden
            />
            {s.label}: {legendValue ? legendValue(s) : newest(s)}
            {s.emphasis ? ` — ${s.emphasis}` : ''}
          </li>
        ))}
        {target && (
          <li>
            <span
              className={classes.swatch}
              style={{
                background: 'none',
                borderTop: `2px dashed ${theme.palette.text.primary}`,
              }}
              aria-hidden
            />
            {target.label}
          </li>
        )}
      </ul>
    </figure>
  );
}

/** A small trend line (no axes) for a table cell; described for screen readers. */
export function Sparkline(props: { values: number[]; label: string }) {
  const { values, label } = props;
  const theme = useTheme();
  const w = 120;
  const h = 28;
  const max = Math.max(1, ...values);
  const d = values
    .map(
      (v, i) =>
        `${i === 0 ? 'M' : 'L'}${(
          (values.length === 1 ? 0.5 : i / (values.length - 1)) * (w - 4) +
          2
        ).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`,
    )
    .join(' ');
  return (
    <svg width={w} height={h} role="img" aria-label={label}>
      {values.length > 1 ? (
        <path
          d={d}
          fill="none"
          stroke={theme.palette.primary.main}
          strokeWidth={2}
        />
      ) : (
        <line
          x1={2}
          x2={w - 2}
          y1={h / 2}
          y2={h / 2}
          stroke={theme.palette.divider}
        />
      )}
    </svg>
  );
}
