import { LoggerService } from '@backstage/backend-plugin-api';
import {
  createKubernetesObjectClient,
  KubeObject,
  KubernetesObjectClient,
  loadKubeConfig,
} from '@internal/backstage-plugin-lambda-pipeline-node';
import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { ensureKustomize } from './kustomize';
import { stackUp } from './stack';
import { RenderedFile } from './types';

/** The stack's Kubernetes API server (and registry), with a client for assertions. */
export type TestCluster = {
  env: Record<string, string>;
  client: KubernetesObjectClient;
  /** App config that points the actions at this cluster. */
  config(
    deploy?: Record<string, unknown>,
    cluster?: Record<string, unknown>,
  ): Record<string, unknown>;
};

export async function startTestCluster(): Promise<TestCluster> {
  const env = stackUp(['kubernetes', 'registry']);
  const client = await createKubernetesObjectClient(
    await loadKubeConfig({
      kubeconfigPath: env.LP_KUBECONFIG,
      context: env.LP_KUBE_CONTEXT,
    }),
  );
  const kustomizeCommand = ensureKustomize();
  return {
    env,
    client,
    config: (deploy = {}, cluster = {}) => ({
      lambdaPipelines: {
        kubernetes: {
          cluster: {
            name: 'lp-stack',
            kubeconfigPath: env.LP_KUBECONFIG,
            context: env.LP_KUBE_CONTEXT,
            ...cluster,
          },
          kustomizeCommand,
          deploy: {
            progressIntervalSeconds: 1,
            waitTimeoutSeconds: 120,
            ...deploy,
          },
        },
      },
    }),
  };
}

/** A short random suffix so that test objects never collide across runs. */
export const uniqueSuffix = () => crypto.randomBytes(3).toString('hex');

/** A LoggerService that keeps every line as `level: message {meta}`. */
export function recordingLogger(
  lines: string[] = [],
): LoggerService & { lines: string[] } {
  const record = (level: string) => (message: string, meta?: unknown) => {
    lines.push(
      `${level}: ${message}${
        meta === undefined ? '' : ` ${JSON.stringify(meta)}`
      }`,
    );
  };
  const logger = {
    lines,
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    debug: record('debug'),
    child: () => logger,
  };
  return logger;
}

/** A fresh workspace directory holding `files` (paths relative to it). */
export function writeWorkspace(files: RenderedFile[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-workspace-'));
  for (const file of files) {
    const target = path.join(dir, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content);
  }
  return dir;
}

/** Multi-document YAML of objects (JSON documents are YAML). */
export const toYaml = (objects: KubeObject[]) =>
  objects.map(o => `---\n${JSON.stringify(o, null, 2)}\n`).join('');
