import {
  InfoCard,
  Link,
  StructuredMetadataTable,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { parseEntityRef } from '@backstage/catalog-model';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import {
  EntityRefLink,
  entityRouteRef,
  useEntity,
} from '@backstage/plugin-catalog-react';
import {
  ANNOTATION_PIPELINE_REF,
  DatasetColumn,
  DatasetSpec,
  LABEL_LAYER,
  LABEL_MANAGED,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import Typography from '@material-ui/core/Typography';
import { DatasetLive } from './DatasetLive';

const SYSTEM_TITLE: Record<DatasetSpec['system'], string> = {
  postgres: 'PostgreSQL',
  kafka: 'Kafka',
  clickhouse: 'ClickHouse',
  snowflake: 'Snowflake',
  iceberg: 'Iceberg',
};

const STATE_TEXT: Record<DatasetSpec['state'], string> = {
  present: 'present (as of the last read)',
  missing:
    'missing: its system does not have it (not deployed yet, or dropped)',
  unknown: 'unknown: its system is not configured or has not answered yet',
  declared: 'declared in the pipeline spec',
};

const columns: TableColumn<DatasetColumn>[] = [
  { title: 'Column', field: 'name' },
  { title: 'Type', field: 'type' },
  {
    title: 'Nullable',
    render: c => {
      if (c.nullable === undefined) return '';
      return c.nullable ? 'yes' : 'no';
    },
  },
  { title: 'Comment', field: 'comment' },
];

/** Bytes in binary units: 512 B, 3.4 KiB, 12.0 MiB, 1.5 GiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Figures a reader cares about, in words; absent ones are left out. */
function facts(dataset: DatasetSpec): Record<string, string> {
  const out: Record<string, string> = {
    [SYSTEM_TITLE[dataset.system]]: dataset.name,
    Environment: dataset.environment,
    State: STATE_TEXT[dataset.state],
  };
  if (dataset.engine) out.Engine = dataset.engine;
  if (dataset.rows !== undefined)
    out.Rows = dataset.rows.toLocaleString('en-US');
  if (dataset.bytes !== undefined) out.Size = formatBytes(dataset.bytes);
  if (dataset.partitions !== undefined)
    out.Partitions = String(dataset.partitions);
  if (dataset.replicationFactor !== undefined)
    out['Replication factor'] = String(dataset.replicationFactor);
  if (dataset.underReplicatedPartitions)
    out['Under-replicated partitions'] = String(
      dataset.underReplicatedPartitions,
    );
  for (const [key, value] of Object.entries(dataset.config ?? {}))
    out[key] = value;
  if (dataset.sortingKey) out['Sorting key'] = dataset.sortingKey;
  if (dataset.partitioning?.length)
    out.Partitioning = dataset.partitioning.join(', ');
  if (dataset.location) out.Location = dataset.location;
  if (dataset.comment) out.Comment = dataset.comment;
  if (dataset.problem) out.Problem = dataset.problem;
  return out;
}

/**
 * Card on a dataset Resource: where it lives, what its system says about it
 * (state, size, settings, columns), and the pipeline it belongs to with a
 * link to that pipeline's tab.
 */
export const DatasetCard = () => {
  const { entity } = useEntity();
  const entityRoute = useRouteRef(entityRouteRef);
  const dataset = entity.spec?.dataset as DatasetSpec | undefined;
  const pipelineRef = entity.metadata.annotations?.[ANNOTATION_PIPELINE_REF];
  const pipeline = pipelineRef
    ? parseEntityRef(pipelineRef, { defaultKind: 'system' })
    : undefined;
  const unmanaged = entity.metadata.labels?.[LABEL_MANAGED] === 'false';

  return (
    <InfoCard title="Dataset">
      {pipeline && (
        <Typography variant="body2" paragraph>
          Part of the pipeline <EntityRefLink entityRef={pipeline} />:{' '}
          <Link
            to={`${entityRoute?.({
              kind: pipeline.kind.toLocaleLowerCase('en-US'),
              namespace: pipeline.namespace,
              name: pipeline.name,
            })}/lambda-pipeline`}
          >
            open its Lambda pipeline tab
          </Link>
          .
        </Typography>
      )}
      {pipeline && dataset && (
        <DatasetLive
          pipeline={{ namespace: pipeline.namespace, name: pipeline.name }}
          layer={entity.metadata.labels?.[LABEL_LAYER]}
          datasetName={dataset.name}
        />
      )}
      {unmanaged && (
        <Typography variant="body2" paragraph>
          No pipeline owns this dataset: it was found in the live systems of
          environment {dataset?.environment}.
        </Typography>
      )}
      {dataset ? (
        <>
          <StructuredMetadataTable metadata={facts(dataset)} />
          {dataset.columns && dataset.columns.length > 0 && (
            <Table<DatasetColumn>
              title={`Columns (${dataset.columns.length})`}
              options={{
                paging: dataset.columns.length > 20,
                pageSize: 20,
                search: dataset.columns.length > 20,
                padding: 'dense',
              }}
              columns={columns}
              data={dataset.columns}
            />
          )}
        </>
      ) : (
        <Typography variant="body2">
          This entity has no dataset description (spec.dataset).
        </Typography>
      )}
    </InfoCard>
  );
};
