import { StructuredMetadataTable } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import type {
  LayerId,
  PipelineHealthResponse,
  PipelineThroughputResponse,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import Typography from '@material-ui/core/Typography';
import { lambdaPipelineApiRef, PipelineRef } from '../../api/LambdaPipelineApi';
import { describeError } from '../shared/PolledSection';
import { formatCount } from '../shared/format';
import { StatusText } from '../shared/StatusText';
import { usePolling } from '../shared/usePolling';

/** The pipeline layer whose health and freshness a dataset of a catalog layer shares. */
const LAYER_OF: Record<string, LayerId> = {
  source: 'ingest',
  ingest: 'ingest',
  speed: 'speed',
  lake: 'batch',
  batch: 'batch',
  marts: 'serving',
};

/** What the pipeline's monitoring says now about the layer a dataset is in. */
export function liveFacts(
  layerLabel: string | undefined,
  datasetName: string,
  health?: PipelineHealthResponse,
  throughput?: PipelineThroughputResponse,
): Record<string, any> {
  const out: Record<string, any> = {};
  const layerId = layerLabel ? LAYER_OF[layerLabel] : undefined;
  const layer = health?.layers.find(l => l.id === layerId);
  if (layer) {
    out['Layer status'] = (
      <StatusText status={layer.status}>
        {layer.title}: {layer.reason}
      </StatusText>
    );
    if (layer.freshness) out.Freshness = layer.freshness.text;
  }
  if (throughput && layerLabel === 'ingest') {
    if (throughput.deadLetters.topic === datasetName) {
      out['Dead letters'] =
        throughput.deadLetters.total === null
          ? 'unknown'
          : formatCount(throughput.deadLetters.total);
    } else {
      for (const consumer of throughput.lag) {
        if (consumer.current !== null)
          out[`Lag: ${consumer.title}`] = `${formatCount(
            consumer.current,
          )} events`;
      }
    }
  }
  return out;
}

/** Live status, freshness and lag of a pipeline's dataset, refreshed every 30 s. */
export function DatasetLive(props: {
  pipeline: PipelineRef;
  layer?: string;
  datasetName: string;
}) {
  const { pipeline, layer, datasetName } = props;
  const api = useApi(lambdaPipelineApiRef);
  const health = usePolling(() => api.getHealth(pipeline), 30_000, [
    api,
    pipeline.namespace,
    pipeline.name,
  ]);
  const throughput = usePolling(
    () => api.getThroughput(pipeline, { windowMinutes: 15 }),
    30_000,
    [api, pipeline.namespace, pipeline.name],
  );
  if (health.loading) {
    return (
      <Typography variant="body2" color="textSecondary">
        Asking the pipeline's monitoring…
      </Typography>
    );
  }
  const facts = liveFacts(layer, datasetName, health.value, throughput.value);
  return (
    <>
      {health.error && (
        <Typography variant="caption" color="error" display="block">
          Live status unavailable: {describeError(health.error)}.
        </Typography>
      )}
      {Object.keys(facts).length > 0 && (
        <StructuredMetadataTable
          metadata={facts}
          options={{ titleFormat: key => key }}
        />
      )}
    </>
  );
}
