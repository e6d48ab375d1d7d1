import { InfoCard, Table } from '@backstage/core-components';
import type {
  PipelineThroughputResponse,
  StageThroughput,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import Typography from '@material-ui/core/Typography';
import { formatCount, formatRate } from '../shared/format';
import { TimeSeriesChart } from '../shared/TimeSeriesChart';

/** Events/s per stage over time against the target, with the bottleneck marked. */
export function ThroughputCard(props: {
  throughput: PipelineThroughputResponse;
}) {
  const { throughput } = props;
  const target = throughput.targetEventsPerSecond;
  const bottleneck = throughput.bottleneck?.stage;
  const hasPoints = throughput.stages.some(s => s.series.length > 0);
  return (
    <InfoCard
      title="Throughput per stage"
      subheader={`Target ${formatRate(target)} · one point per ${
        throughput.sampleIntervalSeconds
      } s sample`}
    >
      {hasPoints ? (
        <TimeSeriesChart
          title="Events per second per stage"
          formatValue={formatRate}
          target={{ value: target, label: `target ${formatRate(target)}` }}
          series={throughput.stages.map(stage => ({
            id: stage.id,
            label: stage.title,
            points: stage.series.map(p => ({
              t: p.t,
              value: p.eventsPerSecond,
            })),
            emphasis: stage.id === bottleneck ? 'bottleneck' : undefined,
          }))}
        />
      ) : (
        <Typography variant="body2" paragraph>
          No rates yet: {throughput.summary}.
        </Typography>
      )}
      <Typography
        variant="body2"
        paragraph
        role={bottleneck ? 'alert' : undefined}
      >
        {throughput.bottleneck
          ? `Bottleneck: ${throughput.bottleneck.reason}.`
          : `${throughput.summary
              .charAt(0)
              .toUpperCase()}${throughput.summary.slice(1)}.`}
      </Typography>
      <Table<StageThroughput>
        options={{
          paging: false,
          search: false,
          toolbar: false,
          padding: 'dense',
        }}
        data={throughput.stages}
        columns={[
          {
            title: 'Stage',
            render: s =>
              s.id === bottleneck ? `${s.title} (bottleneck)` : s.title,
          },
          {
            title: 'Now',
            type: 'numeric',
            render: s => (s.current === null ? '—' : formatRate(s.current)),
          },
          {
            title: 'Of target',
            type: 'numeric',
            render: s =>
              s.ofTarget === null ? '—' : `${Math.round(s.ofTarget * 100)}%`,
          },
          {
            title: 'Backlog',
            type: 'numeric',
            render: s =>
              s.backlog === null ? '—' : `${formatCount(s.backlog)} events`,
          },
        ]}
      />
    </InfoCard>
  );
}
