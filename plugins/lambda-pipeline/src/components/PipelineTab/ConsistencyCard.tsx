import { InfoCard } from '@backstage/core-components';
import type {
  ConsistencyWindow,
  PipelineConsistencyResponse,
  WindowFigures,
  WindowStatus,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import { makeStyles, Theme, useTheme } from '@material-ui/core/styles';
import { formatTime } from '../shared/format';
import { StatusText, WINDOW_TEXT } from '../shared/StatusText';

/** A symbol as well as a colour, so the timeline reads without colour vision. */
const SYMBOL: Record<WindowStatus, string> = {
  consistent: '✓',
  converging: '…',
  diverged: '✕',
};

const statusColor = (theme: Theme, status: WindowStatus) => {
  // Backstage themes carry status colours tuned for light and dark.
  const palette = (theme.palette as any).status ?? {};
  if (status === 'consistent')
    return palette.ok ?? theme.palette.success?.main ?? '#2e7d32';
  if (status === 'converging')
    return palette.warning ?? theme.palette.warning?.main ?? '#ed6c02';
  return palette.error ?? theme.palette.error.main;
};

const useStyles = makeStyles(theme => ({
  row: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    margin: theme.spacing(1, 0),
  },
  table: { minWidth: 140, fontFamily: 'monospace', fontSize: '0.85rem' },
  cells: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: 2,
    listStyle: 'none',
    padding: 0,
    margin: 0,
  },
  cell: {
    width: 22,
    height: 28,
    borderRadius: 3,
    color: theme.palette.common.white,
    fontWeight: 700,
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    fontSize: 13,
    cursor: 'pointer',
    border: 'none',
    padding: 0,
    '&:focus': {
      outline: `2px solid ${theme.palette.text.primary}`,
      outlineOffset: 1,
    },
  },
  open: { opacity: 0.6 },
  differences: { margin: theme.spacing(1, 0), paddingLeft: theme.spacing(3) },
}));

const windowLabel = (w: ConsistencyWindow) =>
  `${w.table} ${formatTime(w.windowStart)}–${formatTime(w.windowEnd)}: ${
    WINDOW_TEXT[w.status]
  }${w.closed ? '' : ' (still open)'}${
    w.differences.length ? ` (${w.differences.join('; ')})` : ''
  }`;

function Timeline(props: {
  table: string;
  windows: ConsistencyWindow[];
  selected?: ConsistencyWindow;
  onSelect: (w: ConsistencyWindow) => void;
}) {
  const { table, windows, selected, onSelect } = props;
  const classes = useStyles();
  const theme = useTheme();
  return (
    <div className={classes.row}>
      <span className={classes.table}>{table}</span>
      <ul
        className={classes.cells}
        aria-label={`${table}: windows, oldest first`}
      >
        {windows.map(w => (
          <li key={w.windowStart} data-status={w.status}>
            <button
              type="button"
              aria-label={windowLabel(w)}
              aria-pressed={selected === w}
              title={windowLabel(w)}
              onClick={() => onSelect(w)}
              className={`${classes.cell} ${w.closed ? '' : classes.open}`}
              style={{ background: statusColor(theme, w.status) }}
            >
              <span aria-hidden>{SYMBOL[w.status]}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

const figureRows: Array<[string, (f: WindowFigures) => string]> = [
  ['Rows', f => f.rows.toLocaleString('en-US')],
  ['Distinct keys', f => f.distinctKeys.toLocaleString('en-US')],
  ['Deleted', f => f.deleted.toLocaleString('en-US')],
  ['Fingerprint XOR', f => f.fingerprintXor],
];

/** Both layers' figures for one window, side by side. */
function WindowDetails(props: { window: ConsistencyWindow }) {
  const w = props.window;
  const sums = [
    ...new Set([
      ...Object.keys(w.speed?.sums ?? {}),
      ...Object.keys(w.batch?.sums ?? {}),
    ]),
  ];
  const rows: Array<[string, string, string]> = [
    ...figureRows.map(
      ([label, get]) =>
        [label, w.speed ? get(w.speed) : '—', w.batch ? get(w.batch) : '—'] as [
          string,
          string,
          string,
        ],
    ),
    ...sums.map(
      name =>
        [
          `Sum of ${name}`,
          w.speed?.sums[name] ?? '—',
          w.batch?.sums[name] ?? '—',
        ] as [string, string, string],
    ),
  ];
  return (
    <table style={{ borderCollapse: 'collapse', margin: '8px 0' }}>
      <caption style={{ textAlign: 'left' }}>{windowLabel(w)}</caption>
      <thead>
        <tr>
          <th scope="col" />
          <th scope="col">Speed (ClickHouse)</th>
          <th scope="col">Batch (Snowflake)</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([label, speed, batch]) => (
          <tr key={label}>
            <th scope="row" style={{ textAlign: 'left', paddingRight: 16 }}>
              {label}
            </th>
            <td style={{ fontFamily: 'monospace', paddingRight: 16 }}>
              {speed}
            </td>
            <td style={{ fontFamily: 'monospace' }}>{batch}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The speed and batch layers compared per window: a timeline per table (one
 * cell per window: consistent, converging, diverged), the windows that differ
 * with their figures, and what to do about them.
 */
export function ConsistencyCard(props: {
  consistency: PipelineConsistencyResponse;
  onRecheck?: () => void;
  rechecking?: boolean;
  recheckError?: Error;
}) {
  const { consistency, onRecheck, rechecking, recheckError } = props;
  const classes = useStyles();
  const tables = [...new Set(consistency.windows.map(w => w.table))].sort();
  const differing = consistency.windows.filter(w => w.status === 'diverged');
  const [selected, setSelected] = useState<ConsistencyWindow>();
  return (
    <InfoCard
      title="Speed vs batch layer"
      subheader={`${consistency.windowMinutes}-minute windows${
        consistency.judgedUpTo
          ? `, judged exactly up to ${formatTime(consistency.judgedUpTo)}`
          : ''
      } · checked ${formatTime(consistency.checkedAt)}`}
      action={
        onRecheck && (
          <Button
            size="small"
            variant="outlined"
            onClick={onRecheck}
            disabled={rechecking}
          >
            {rechecking ? 'Checking…' : 'Check now'}
          </Button>
        )
      }
    >
      {recheckError && (
        <Typography
          variant="caption"
          color="error"
          role="status"
          display="block"
        >
          The check could not run: {recheckError.message}
        </Typography>
      )}
      <StatusText status={consistency.status} />
      <Typography variant="body2" paragraph>
        {consistency.reason}
      </Typography>
      {tables.length === 0 ? (
        <Typography variant="body2">
          No windows to compare yet: they appear once both layers hold data.
        </Typography>
      ) : (
        tables.map(table => (
          <Timeline
            key={table}
            table={table}
            selected={selected}
            onSelect={w => setSelected(selected === w ? undefined : w)}
            windows={consistency.windows
              .filter(w => w.table === table)
              .sort((a, b) => a.windowStart.localeCompare(b.windowStart))}
          />
        ))
      )}
      {selected && consistency.windows.includes(selected) && (
        <WindowDetails window={selected} />
      )}
      {differing.length > 0 && (
        <>
          <Typography variant="subtitle2" component="h3">
            Windows that differ ({differing.length})
          </Typography>
          <ul className={classes.differences}>
            {differing.map(w => (
              <li key={`${w.table}-${w.windowStart}`}>
                <strong>
                  {w.table} {formatTime(w.windowStart)}–
                  {formatTime(w.windowEnd)}
                </strong>
                : {w.differences.join('; ')}
              </li>
            ))}
          </ul>
          {consistency.repair && (
            <Typography variant="body2">
              <strong>What to do:</strong> {consistency.repair}
            </Typography>
          )}
        </>
      )}
      {consistency.history.length > 1 && (
        <Typography variant="caption" display="block" style={{ marginTop: 8 }}>
          Last {consistency.history.length} checks:{' '}
          {(['consistent', 'converging', 'diverged'] as const)
            .map(
              s =>
                `${
                  consistency.history.filter(h => h.status === s).length
                } ${s}`,
            )
            .join(', ')}
          .
        </Typography>
      )}
    </InfoCard>
  );
}
