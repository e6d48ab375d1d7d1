import { KubeObject } from './objects';
import { hasReadiness, readinessOf } from './readiness';

const obj = (
  apiVersion: string,
  kind: string,
  rest: Partial<KubeObject> = {},
): KubeObject => ({
  apiVersion,
  kind,
  ...rest,
  metadata: {
    name: 'x',
    namespace: 'ns',
    generation: 2,
    ...(rest.metadata ?? {}),
  },
});

describe('readinessOf', () => {
  it('judges Deployments by observed generation, available replicas and the progress deadline', () => {
    const d = (status: any, spec: any = { replicas: 2 }) =>
      obj('apps/v1', 'Deployment', { spec, status });
    expect(readinessOf(d({ observedGeneration: 1 }))).toEqual({
      state: 'pending',
      message: 'controller has seen generation 1 of 2',
    });
    expect(
      readinessOf(
        d({
          observedGeneration: 2,
          replicas: 2,
          updatedReplicas: 2,
          availableReplicas: 1,
        }),
      )?.state,
    ).toBe('pending');
    expect(
      readinessOf(
        d({
          observedGeneration: 2,
          replicas: 2,
          updatedReplicas: 2,
          availableReplicas: 2,
        }),
      ),
    ).toEqual({
      state: 'ready',
      message: '2/2 available',
    });
    expect(
      readinessOf(
        d({
          observedGeneration: 2,
          conditions: [
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'took too long',
            },
          ],
        }),
      ),
    ).toEqual({
      state: 'failed',
      message: 'rollout stalled: ProgressDeadlineExceeded: took too long',
    });
  });

  it('judges StatefulSets by ready replicas and the rolling revision', () => {
    const s = (status: any) =>
      obj('apps/v1', 'StatefulSet', {
        spec: {},
        status: { observedGeneration: 2, ...status },
      });
    expect(readinessOf(s({ readyReplicas: 0 }))).toEqual({
      state: 'pending',
      message: '0/1 ready',
    });
    expect(
      readinessOf(
        s({
          readyReplicas: 1,
          availableReplicas: 1,
          currentRevision: 'a',
          updateRevision: 'b',
        }),
      )?.message,
    ).toMatch(/^rolling update in progress/);
    expect(
      readinessOf(
        s({
          readyReplicas: 1,
          availableReplicas: 1,
          currentRevision: 'a',
          updateRevision: 'a',
        }),
      )?.state,
    ).toBe('ready');
  });

  it('uses the Strimzi Ready condition of the current generation, and fails fast on invalid resources', () => {
    const k = (status: any, kind = 'Kafka') =>
      obj('kafka.strimzi.io/v1', kind, { status });
    expect(
      readinessOf(
        k({
          observedGeneration: 1,
          conditions: [{ type: 'Ready', status: 'True' }],
        }),
      )?.state,
    ).toBe('pending');
    expect(
      readinessOf(
        k({
          observedGeneration: 2,
          conditions: [{ type: 'Ready', status: 'True' }],
        }),
      )?.state,
    ).toBe('ready');
    expect(
      readinessOf(
        k({
          observedGeneration: 2,
          conditions: [
            {
              type: 'NotReady',
              status: 'True',
              reason: 'Creating',
              message: 'pods starting',
            },
          ],
        }),
      ),
    ).toEqual({
      state: 'pending',
      message: 'NotReady: Creating: pods starting',
    });
    expect(
      readinessOf(
        k({
          observedGeneration: 2,
          conditions: [
            {
              type: 'NotReady',
              status: 'True',
              reason: 'InvalidResourceException',
              message: 'bad',
            },
          ],
        }),
      ),
    ).toEqual({ state: 'failed', message: 'InvalidResourceException: bad' });
    expect(
      readinessOf(
        k(
          {
            observedGeneration: 2,
            conditions: [{ type: 'Ready', status: 'True' }],
            connectorStatus: {
              connector: { state: 'RUNNING' },
              tasks: [
                {
                  id: 0,
                  state: 'FAILED',
                  trace: 'org.postgresql.util.PSQLException: refused\n\tat ...',
                },
              ],
            },
          },
          'KafkaConnector',
        ),
      ),
    ).toEqual({
      state: 'failed',
      message: 'task 0 FAILED: org.postgresql.util.PSQLException: refused',
    });
  });

  it('uses the SparkApplication state', () => {
    const s = (state?: string, errorMessage?: string) =>
      obj('sparkoperator.k8s.io/v1beta2', 'SparkApplication', {
        status: state
          ? { applicationState: { state, errorMessage } }
          : undefined,
      });
    expect(readinessOf(s())).toEqual({
      state: 'pending',
      message: 'not submitted yet',
    });
    expect(readinessOf(s('SUBMITTED'))?.state).toBe('pending');
    expect(readinessOf(s('RUNNING'))?.state).toBe('ready');
    expect(readinessOf(s('SUBMISSION_FAILED', 'no image'))).toEqual({
      state: 'failed',
      message: 'SUBMISSION_FAILED: no image',
    });
  });

  it('knows CRDs, namespaces, jobs and pods; falls back to a Ready condition; has nothing to say about ConfigMaps', () => {
    expect(
      readinessOf(
        obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', {
          status: { conditions: [{ type: 'Established', status: 'True' }] },
        }),
      )?.state,
    ).toBe('ready');
    expect(
      readinessOf(
        obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', {
          status: {
            conditions: [
              {
                type: 'NamesAccepted',
                status: 'False',
                reason: 'ListKindConflict',
              },
            ],
          },
        }),
      ),
    ).toEqual({
      state: 'failed',
      message: 'names not accepted: ListKindConflict',
    });
    expect(
      readinessOf(obj('v1', 'Namespace', { status: { phase: 'Terminating' } }))
        ?.message,
    ).toMatch(/Terminating/);
    expect(
      readinessOf(
        obj('batch/v1', 'Job', {
          status: {
            conditions: [
              {
                type: 'Failed',
                status: 'True',
                reason: 'BackoffLimitExceeded',
              },
            ],
          },
        }),
      )?.state,
    ).toBe('failed');
    expect(
      readinessOf(
        obj('v1', 'Pod', {
          status: {
            phase: 'Pending',
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Unschedulable',
                message: '0/1 nodes',
              },
            ],
          },
        }),
      ),
    ).toEqual({
      state: 'pending',
      message: 'not scheduled: Unschedulable: 0/1 nodes',
    });
    expect(
      readinessOf(
        obj('example.com/v1', 'Widget', {
          status: {
            conditions: [{ type: 'Ready', status: 'False', reason: 'Waiting' }],
          },
        }),
      ),
    ).toEqual({
      state: 'pending',
      message: 'Ready=False: Waiting',
    });
    expect(readinessOf(obj('v1', 'ConfigMap'))).toBeUndefined();
    expect(hasReadiness({ apiVersion: 'v1', kind: 'ConfigMap' })).toBe(false);
    expect(hasReadiness({ apiVersion: 'apps/v1', kind: 'StatefulSet' })).toBe(
      true,
    );
  });
});
