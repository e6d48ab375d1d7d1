import {
  InfoCard,
  StructuredMetadataTable,
  Table,
  TableColumn,
} from '@backstage/core-components';
import {
  ComponentSizing,
  describePhase,
  cdcTopicName,
  clickhouseDatabase,
  datasetTableName,
  deadLetterTopicName,
  formatMiB,
  PipelineSpecResponse,
  snowflakeTableName,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import Accordion from '@material-ui/core/Accordion';
import AccordionDetails from '@material-ui/core/AccordionDetails';
import AccordionSummary from '@material-ui/core/AccordionSummary';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';

const memoryColumns: TableColumn<ComponentSizing>[] = [
  { title: 'Component', field: 'title' },
  { title: 'Layer', field: 'layer' },
  { title: 'Replicas', field: 'replicas', type: 'numeric' },
  {
    title: 'Request',
    render: row => formatMiB(row.requestMiB),
    type: 'numeric',
  },
  { title: 'Limit', render: row => formatMiB(row.limitMiB), type: 'numeric' },
  {
    title: 'When',
    render: row => describePhase(row),
  },
];

/**
 * How the pipeline is built: its settings, the datasets of each source table
 * in every layer, and the memory plan.
 */
export const PipelineDesign = (props: { value: PipelineSpecResponse }) => {
  const { spec, sizing } = props.value;
  const tables = spec.spec.source.postgres.tables;
  return (
    <Grid container spacing={3}>
      <Grid item xs={12} md={4}>
        <InfoCard title="Pipeline">
          <StructuredMetadataTable
            metadata={{
              environment: `${spec.spec.environment.name} (${spec.spec.environment.profile} profile)`,
              'throughput target': `${spec.spec.throughput.targetEventsPerSecond.toLocaleString(
                'en-US',
              )} events/s`,
              'partitions per topic': sizing.partitions,
              'speed executors': sizing.speedExecutors,
              memory: `${formatMiB(sizing.memory.peakLimitMiB)} of ${formatMiB(
                sizing.memory.budgetMiB,
              )} budget`,
              'lake sink': spec.spec.lake.sink,
              'batch schedule': spec.spec.batch.schedule,
              'reconciliation window': `${spec.spec.reconciliation.windowMinutes} min, ${spec.spec.reconciliation.allowedLatenessMinutes} min lateness`,
            }}
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={8}>
        <Table
          title="Datasets per source table"
          options={{ paging: false, search: false, padding: 'dense' }}
          data={tables.map(table => ({
            source: `${spec.spec.source.postgres.database}.${table.schema}.${table.table}`,
            key: table.primaryKey.join(', '),
            topic: cdcTopicName(spec, table),
            clickhouse: `${clickhouseDatabase(spec)}.${datasetTableName(
              table,
            )}`,
            snowflake: `${spec.spec.snowflake.database}.${
              spec.spec.snowflake.schema
            }.${snowflakeTableName(table)}`,
          }))}
          columns={[
            { title: 'PostgreSQL source', field: 'source' },
            { title: 'Key', field: 'key' },
            { title: 'CDC topic', field: 'topic' },
            { title: 'ClickHouse (speed)', field: 'clickhouse' },
            { title: 'Snowflake (batch)', field: 'snowflake' },
          ]}
        />
        <p>
          Events that cannot be processed go to{' '}
          <code>{deadLetterTopicName(spec)}</code>.
        </p>
      </Grid>
      <Grid item xs={12}>
        {/* The full memory table is long: folded, with its totals in the summary. */}
        <Accordion TransitionProps={{ unmountOnExit: false }}>
          <AccordionSummary expandIcon={<ExpandMoreIcon />}>
            <Typography variant="h6" component="h3">
              {`Memory plan: ${formatMiB(
                sizing.memory.steadyLimitMiB,
              )} steady + ${formatMiB(
                sizing.memory.burstLimitMiB,
              )} during the largest Airflow run (${formatMiB(
                sizing.memory.deployLimitMiB,
              )} while deploying), ${formatMiB(
                sizing.memory.headroomMiB,
              )} headroom`}
            </Typography>
          </AccordionSummary>
          <AccordionDetails style={{ display: 'block' }}>
            <Table
              options={{
                paging: false,
                search: false,
                toolbar: false,
                padding: 'dense',
              }}
              data={sizing.memory.components}
              columns={memoryColumns}
            />
          </AccordionDetails>
        </Accordion>
      </Grid>
    </Grid>
  );
};
