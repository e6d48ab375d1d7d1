import {
  Content,
  ContentHeader,
  LinkButton,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { EntityRefLink, entityRouteRef } from '@backstage/plugin-catalog-react';
import type { PipelineSummary } from '@internal/backstage-plugin-lambda-pipeline-common';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { lambdaPipelineApiRef } from '../../api/LambdaPipelineApi';
import { createPipelineRouteRef, PIPELINE_TEMPLATE } from '../../routes';
import {
  formatAgo,
  formatDuration,
  formatRate,
  formatTime,
} from '../shared/format';
import { PolledSection } from '../shared/PolledSection';
import { HEALTH_TEXT, StatusText } from '../shared/StatusText';
import { usePolling } from '../shared/usePolling';

/** How often the page refreshes. */
export const DEFAULT_PAGE_REFRESH_MS = 30_000;

/** One table row: the summary plus flat fields to sort and filter on. */
type Row = PipelineSummary & {
  id: string;
  label: string;
  statusText: string;
  rate: number;
  speedBehindSeconds: number | null;
};

const toRow = (p: PipelineSummary, now: number): Row => ({
  ...p,
  id: p.entityRef,
  label: p.title ?? p.name,
  statusText: p.health ? HEALTH_TEXT[p.health.status] : 'Not sampled yet',
  rate: p.throughput?.eventsPerSecond ?? -1,
  speedBehindSeconds: p.freshness?.speedNewestEvent
    ? Math.max(0, (now - Date.parse(p.freshness.speedNewestEvent)) / 1000)
    : null,
});

function Throughput(props: { row: Row }) {
  const t = props.row.throughput;
  if (!t) return <>—</>;
  if (t.eventsPerSecond === null)
    return (
      <Typography variant="body2">
        no rate yet · target {formatRate(t.targetEventsPerSecond)}
      </Typography>
    );
  const share = (t.eventsPerSecond / t.targetEventsPerSecond) * 100;
  return (
    <div style={{ minWidth: 180 }}>
      <Typography variant="body2">
        {formatRate(t.eventsPerSecond)} of {formatRate(t.targetEventsPerSecond)}{' '}
        ({Math.round(share)}%)
      </Typography>
      <LinearProgress
        variant="determinate"
        value={Math.min(100, share)}
        aria-label={`${props.row.label}: ${Math.round(
          share,
        )}% of the throughput target`}
      />
    </div>
  );
}

/**
 * Every pipeline in the catalog: owner, status, throughput against its
 * target and how fresh each layer is; sortable, searchable and filterable,
 * with a button to create one more.
 */
export const PipelinesPage = (props: { refreshMs?: number }) => {
  const refreshMs = props.refreshMs ?? DEFAULT_PAGE_REFRESH_MS;
  const api = useApi(lambdaPipelineApiRef);
  const entityRoute = useRouteRef(entityRouteRef);
  const createRoute = useRouteRef(createPipelineRouteRef);
  const pipelines = usePolling(() => api.listPipelines(), refreshMs, [api]);
  const createLink = createRoute?.(PIPELINE_TEMPLATE);

  const tabLink = (p: PipelineSummary) =>
    entityRoute
      ? `${entityRoute({
          kind: p.kind.toLocaleLowerCase('en-US'),
          namespace: p.namespace,
          name: p.name,
        })}/lambda-pipeline`
      : undefined;

  const columns: TableColumn<Row>[] = [
    {
      title: 'Pipeline',
      field: 'label',
      highlight: true,
      render: row => (
        <>
          <EntityRefLink entityRef={row.entityRef} title={row.label} />
          {tabLink(row) && (
            <Typography variant="caption" display="block">
              <a href={tabLink(row)}>Lambda pipeline tab</a>
            </Typography>
          )}
        </>
      ),
    },
    {
      title: 'Owner',
      field: 'owner',
      render: row =>
        row.owner ? <EntityRefLink entityRef={row.owner} /> : '—',
    },
    { title: 'Environment', field: 'environment', emptyValue: '—' },
    {
      title: 'Status',
      field: 'statusText',
      render: row => (
        <>
          <StatusText status={row.health?.status ?? 'unknown'} />
          <Typography variant="caption" display="block">
            {row.health
              ? `${row.health.reason} (${formatAgo(row.health.checkedAt)})`
              : 'the sampler has not seen this pipeline yet'}
          </Typography>
        </>
      ),
    },
    {
      title: 'Throughput vs target',
      field: 'rate',
      type: 'numeric',
      render: row => <Throughput row={row} />,
    },
    {
      title: 'Speed layer',
      field: 'speedBehindSeconds',
      type: 'numeric',
      render: row =>
        row.speedBehindSeconds === null
          ? '—'
          : `newest event ${formatDuration(row.speedBehindSeconds)} old`,
    },
    {
      title: 'Batch layer',
      field: 'freshness.batchCompleteUpTo',
      render: row =>
        row.freshness?.batchCompleteUpTo
          ? `complete up to ${formatTime(row.freshness.batchCompleteUpTo)}`
          : '—',
    },
  ];

  return (
    <Content>
      <ContentHeader title="Lambda pipelines">
        {createLink && (
          <LinkButton to={createLink} variant="contained" color="primary">
            Create pipeline
          </LinkButton>
        )}
      </ContentHeader>
      <PolledSection
        what="the pipelines"
        polled={pipelines}
        intervalMs={refreshMs}
      >
        {value => {
          const now = Date.now();
          return (
            <Table<Row>
              title={`Pipelines (${value.items.length})`}
              options={{ paging: false, padding: 'dense', search: true }}
              data={value.items.map(p => toRow(p, now))}
              columns={columns}
              filters={[
                { column: 'Status', type: 'multiple-select' },
                { column: 'Environment', type: 'select' },
              ]}
              emptyContent={
                <Typography style={{ padding: 16 }}>
                  No pipelines yet.{' '}
                  {createLink
                    ? 'Use "Create pipeline" above to make the first one.'
                    : 'Create one with the "Create pipeline" template.'}
                </Typography>
              }
            />
          );
        }}
      </PolledSection>
    </Content>
  );
};
