import { InfoCard, Table } from '@backstage/core-components';
import type {
  ConsumerLag,
  PipelineThroughputResponse,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import Typography from '@material-ui/core/Typography';
import { formatCount, formatDuration } from '../shared/format';
import { Sparkline } from '../shared/TimeSeriesChart';

const trendWords = (values: number[]) => {
  if (values.length < 2) return 'no trend yet';
  const first = values[0];
  const last = values[values.length - 1];
  if (last > first)
    return `growing, from ${formatCount(first)} to ${formatCount(last)}`;
  if (last < first)
    return `shrinking, from ${formatCount(first)} to ${formatCount(last)}`;
  return `steady at ${formatCount(last)}`;
};

/** Events each consumer of the CDC topics has yet to read, now and over the window. */
export function LagCard(props: { throughput: PipelineThroughputResponse }) {
  return (
    <InfoCard title="Consumer lag">
      <Table<ConsumerLag>
        options={{
          paging: false,
          search: false,
          toolbar: false,
          padding: 'dense',
        }}
        data={props.throughput.lag}
        columns={[
          {
            title: 'Consumer',
            render: l => (
              <>
                {l.title}
                {l.group && (
                  <Typography variant="caption" display="block">
                    group <code>{l.group}</code>
                  </Typography>
                )}
              </>
            ),
          },
          {
            title: 'Behind',
            type: 'numeric',
            render: l =>
              l.current === null
                ? 'unknown'
                : `${formatCount(l.current)} events`,
          },
          {
            title: 'Trend',
            render: l => {
              const values = l.series.map(p => p.events);
              return (
                <Sparkline
                  values={values}
                  label={`${l.title} lag: ${trendWords(values)}`}
                />
              );
            },
          },
        ]}
      />
    </InfoCard>
  );
}

/** The dead-letter topic: events ever written, arrivals per sample, and what to do. */
export function DeadLetterCard(props: {
  throughput: PipelineThroughputResponse;
}) {
  const { deadLetters, sampleIntervalSeconds } = props.throughput;
  const values = deadLetters.series.map(p => p.newEvents);
  const recent = values.reduce((sum, v) => sum + v, 0);
  const span = deadLetters.series.length * sampleIntervalSeconds;
  return (
    <InfoCard title="Dead letters">
      <Typography variant="h5" component="p">
        {deadLetters.total === null
          ? 'unknown'
          : formatCount(deadLetters.total)}
      </Typography>
      <Typography variant="body2" paragraph>
        events in <code>{deadLetters.topic}</code>
        {deadLetters.series.length > 0 &&
          `, ${formatCount(recent)} new in the last ${formatDuration(span)}`}
      </Typography>
      <Sparkline
        values={values}
        label={`Dead letters per sample: ${
          values.length ? values.join(', ') : 'no samples yet'
        }`}
      />
      {recent > 0 && (
        <Typography variant="body2">
          Each dead letter carries its error in the <code>lp.error</code> header
          and where it came from in <code>lp.source.*</code>: read them, fix the
          producer or the job, then replay the topic.
        </Typography>
      )}
    </InfoCard>
  );
}
