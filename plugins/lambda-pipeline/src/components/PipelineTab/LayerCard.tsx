import { InfoCard } from '@backstage/core-components';
import type {
  ComponentHealth,
  LayerHealth,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { StatusText } from '../shared/StatusText';

const useStyles = makeStyles(theme => ({
  freshness: { fontWeight: 600, margin: theme.spacing(1, 0) },
  components: { listStyle: 'none', padding: 0, margin: theme.spacing(1, 0, 0) },
  component: {
    borderTop: `1px solid ${theme.palette.divider}`,
    padding: theme.spacing(1, 0),
  },
  evidence: {
    display: 'grid',
    gridTemplateColumns: 'max-content auto',
    columnGap: theme.spacing(2),
    margin: theme.spacing(0.5, 0, 0),
    fontSize: '0.8rem',
    '& dt': { color: theme.palette.text.secondary },
    '& dd': { margin: 0, fontFamily: 'monospace', overflowWrap: 'anywhere' },
  },
  summary: { cursor: 'pointer', fontSize: '0.8rem' },
}));

const evidenceValue = (value: unknown) => {
  if (value === null) return '—';
  if (typeof value === 'number') return value.toLocaleString('en-US');
  return String(value);
};

function ComponentRow(props: { component: ComponentHealth }) {
  const { component } = props;
  const classes = useStyles();
  const evidence = Object.entries(component.evidence);
  return (
    <li className={classes.component}>
      <StatusText status={component.status}>{component.title}</StatusText>
      <Typography variant="body2">{component.reason}</Typography>
      {evidence.length > 0 && (
        <details>
          <summary className={classes.summary}>
            Evidence from {component.system}
          </summary>
          <dl className={classes.evidence}>
            {evidence.map(([key, value]) => (
              <div key={key} style={{ display: 'contents' }}>
                <dt>{key}</dt>
                <dd>{evidenceValue(value)}</dd>
              </div>
            ))}
          </dl>
        </details>
      )}
    </li>
  );
}

/** One layer: its status and why, how fresh its data is, and each component with its evidence. */
export function LayerCard(props: { layer: LayerHealth }) {
  const { layer } = props;
  const classes = useStyles();
  return (
    <InfoCard title={layer.title} noPadding={false}>
      <section aria-label={`${layer.title}: ${layer.status}`}>
        <StatusText status={layer.status} />
        {layer.freshness && (
          <Typography className={classes.freshness}>
            {layer.freshness.text}
          </Typography>
        )}
        <Typography variant="body2">{layer.reason}</Typography>
        <ul
          className={classes.components}
          aria-label={`${layer.title} components`}
        >
          {layer.components.map(c => (
            <ComponentRow key={c.id} component={c} />
          ))}
        </ul>
      </section>
    </InfoCard>
  );
}
