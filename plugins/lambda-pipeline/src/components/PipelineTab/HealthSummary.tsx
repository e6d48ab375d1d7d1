import { InfoCard } from '@backstage/core-components';
import type { PipelineHealthResponse } from '@internal/backstage-plugin-lambda-pipeline-common';
import IconButton from '@material-ui/core/IconButton';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import { formatTime } from '../shared/format';
import { HEALTH_TEXT, StatusText } from '../shared/StatusText';

/** The one status of the pipeline, why, and when it was checked. */
export function HealthSummary(props: {
  health: PipelineHealthResponse;
  onRefresh: () => void;
}) {
  const { health, onRefresh } = props;
  return (
    <InfoCard
      title="Pipeline health"
      action={
        <IconButton aria-label="Refresh now" onClick={onRefresh}>
          <RefreshIcon />
        </IconButton>
      }
    >
      <Typography variant="h5" component="p" aria-live="polite">
        <StatusText status={health.status}>
          {HEALTH_TEXT[health.status]}: {health.reason}
        </StatusText>
      </Typography>
      <Typography variant="body2" color="textSecondary">
        Environment {health.environment} · checked{' '}
        {formatTime(health.checkedAt)} · the probes took {health.durationMs} ms
      </Typography>
      {health.notMonitored.length > 0 && (
        <Typography variant="body2" color="textSecondary">
          Not monitored: {health.notMonitored.join('; ')}.
        </Typography>
      )}
    </InfoCard>
  );
}
