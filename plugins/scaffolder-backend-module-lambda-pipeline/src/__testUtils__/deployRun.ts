import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createDeployPipelineAction } from '../actions/deployPipeline';
import { recordingLogger, uniqueSuffix } from './cluster';

const OVERLAY = 'platform/deploy/overlays/kind';

export type DeployRun = {
  lines: string[];
  outputs: Record<string, any>;
  error?: Error;
};

/** Runs the action the way the scaffolder does, with a recording logger. */
export async function runDeployAction(
  config: Record<string, unknown>,
  options: {
    workspacePath: string;
    manifestsPath?: string;
    namespace: string;
    dryRun?: boolean;
    taskId?: string;
    timeoutSeconds?: number;
    /** Wait for readiness (default true). */
    wait?: boolean;
    checkpoints?: Map<string, unknown>;
  },
): Promise<DeployRun> {
  const logger = recordingLogger();
  const ctx = createMockActionContext({
    input: {
      manifestsPath: options.manifestsPath ?? OVERLAY,
      namespace: options.namespace,
      ...(options.wait === false ? { wait: false } : {}),
      ...(options.timeoutSeconds
        ? { timeoutSeconds: options.timeoutSeconds }
        : {}),
    },
    workspacePath: options.workspacePath,
    logger: logger as any,
    task: { id: options.taskId ?? `task-${uniqueSuffix()}` },
  });
  const store = options.checkpoints;
  const run: DeployRun = { lines: logger.lines, outputs: {} };
  const action = createDeployPipelineAction({
    config: mockServices.rootConfig({ data: config as any }),
  });
  try {
    await action.handler({
      ...ctx,
      isDryRun: options.dryRun ?? false,
      // Like the scaffolder with task recovery on: a stored success is
      // returned without running the side effect again.
      ...(store
        ? {
            async checkpoint({
              key,
              fn,
            }: {
              key: string;
              fn: () => Promise<any>;
            }) {
              if (store.has(key)) return store.get(key);
              const value = await fn();
              store.set(key, value);
              return value;
            },
          }
        : {}),
    } as any);
  } catch (error) {
    run.error = error as Error;
  }
  run.outputs = Object.fromEntries((ctx.output as jest.Mock).mock.calls);
  return run;
}
