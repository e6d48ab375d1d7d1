import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import type { PipelineConsistencyResponse } from '@internal/backstage-plugin-lambda-pipeline-common';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { useCallback, useState } from 'react';
import { lambdaPipelineApiRef } from '../../api/LambdaPipelineApi';
import { PipelineDesign } from '../PipelineDesign';
import { PolledSection } from '../shared/PolledSection';
import { usePolling } from '../shared/usePolling';
import { ConsistencyCard } from './ConsistencyCard';
import { HealthSummary } from './HealthSummary';
import { DeadLetterCard, LagCard } from './LagCard';
import { LayerCard } from './LayerCard';
import { LinksCard } from './LinksCard';
import { ThroughputCard } from './ThroughputCard';

/** How often the tab refreshes health and throughput; consistency every fourth time. */
export const DEFAULT_REFRESH_MS = 15_000;

/**
 * The "Lambda pipeline" tab: one status with its reason, a card per layer,
 * throughput against the target, lag and dead letters, the speed-vs-batch
 * timeline, links, and how the pipeline is built. Each part refreshes on
 * its own and keeps showing its last answer while it does.
 */
export const PipelineTab = (props: { refreshMs?: number }) => {
  const refreshMs = props.refreshMs ?? DEFAULT_REFRESH_MS;
  const { entity } = useEntity();
  const api = useApi(lambdaPipelineApiRef);
  const namespace = entity.metadata.namespace ?? 'default';
  const name = entity.metadata.name;
  const ref = { namespace, name };

  const health = usePolling(() => api.getHealth(ref), refreshMs, [
    api,
    namespace,
    name,
  ]);
  const throughput = usePolling(
    () => api.getThroughput(ref, { windowMinutes: 60 }),
    refreshMs,
    [api, namespace, name],
  );
  const consistency = usePolling(() => api.getConsistency(ref), refreshMs * 4, [
    api,
    namespace,
    name,
  ]);
  const spec = usePolling(() => api.getPipelineSpec(ref), refreshMs * 20, [
    api,
    namespace,
    name,
  ]);

  // "Check now" runs a new reconciliation; its answer shows until a newer one arrives.
  const [recheck, setRecheck] = useState<{
    running: boolean;
    value?: PipelineConsistencyResponse;
    error?: Error;
  }>({ running: false });
  const onRecheck = useCallback(async () => {
    setRecheck(r => ({ ...r, running: true }));
    try {
      const value = await api.getConsistency(ref, { refresh: true });
      setRecheck({ running: false, value });
    } catch (error) {
      setRecheck(r => ({ ...r, running: false, error: error as Error }));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, namespace, name]);
  const newestConsistency =
    recheck.value &&
    (!consistency.value ||
      recheck.value.checkedAt > consistency.value.checkedAt)
      ? { ...consistency, value: recheck.value, loading: false }
      : consistency;

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <PolledSection
          what="the pipeline's health"
          polled={health}
          intervalMs={refreshMs}
        >
          {value => (
            <Grid container spacing={3}>
              <Grid item xs={12}>
                <HealthSummary health={value} onRefresh={health.retry} />
              </Grid>
              {value.layers.map(layer => (
                <Grid item xs={12} md={6} xl={3} key={layer.id}>
                  <LayerCard layer={layer} />
                </Grid>
              ))}
            </Grid>
          )}
        </PolledSection>
      </Grid>
      <Grid item xs={12}>
        <PolledSection
          what="throughput"
          polled={throughput}
          intervalMs={refreshMs}
        >
          {value => (
            <Grid container spacing={3}>
              <Grid item xs={12} lg={8}>
                <ThroughputCard throughput={value} />
              </Grid>
              <Grid item xs={12} lg={4}>
                <LagCard throughput={value} />
                <div style={{ height: 24 }} />
                <DeadLetterCard throughput={value} />
              </Grid>
            </Grid>
          )}
        </PolledSection>
      </Grid>
      <Grid item xs={12} lg={8}>
        <PolledSection
          what="the consistency check"
          polled={newestConsistency}
          intervalMs={refreshMs * 4}
        >
          {value => (
            <ConsistencyCard
              consistency={value}
              onRecheck={onRecheck}
              rechecking={recheck.running}
              recheckError={recheck.error}
            />
          )}
        </PolledSection>
      </Grid>
      <Grid item xs={12} lg={4}>
        <PolledSection
          what="the pipeline spec"
          polled={spec}
          intervalMs={refreshMs * 20}
        >
          {value => <LinksCard entity={entity} links={value.links} />}
        </PolledSection>
      </Grid>
      {spec.value && (
        <Grid item xs={12}>
          <Typography variant="h5" component="h2" gutterBottom>
            How it is built
          </Typography>
          <PipelineDesign value={spec.value} />
        </Grid>
      )}
    </Grid>
  );
};
