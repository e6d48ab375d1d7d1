import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'fs';
import path from 'path';
import request from 'supertest';
import yaml from 'yaml';
import { scaffolderModuleLambdaPipeline } from '../module';
import { PACKAGE_ROOT } from './cache';
import { applyFormDefaults } from './formDefaults';
import { RenderedFile } from './types';

/** The "Create pipeline" template of this repository. */
export const LAMBDA_PIPELINE_TEMPLATE_DIR = path.resolve(
  PACKAGE_ROOT,
  '../../templates/lambda-pipeline',
);

/** A template step as the dry run reports it, with the status it ended in. */
export type RenderedStep = {
  id: string;
  name: string;
  action: string;
  /** Last status logged for the step: `completed`, `skipped`, `failed`... */
  status?: string;
  [key: string]: unknown;
};

export type RenderResult = {
  /** The workspace after every step, decoded as UTF-8, sorted by path. */
  files: Array<RenderedFile & { executable?: boolean }>;
  /**
   * Every log message of the run, in order, without colours; action log
   * lines keep their level (`info: ...`).
   */
  log: string[];
  /** The template's `output`, rendered. */
  output: Record<string, unknown>;
  steps: RenderedStep[];
};

export type RenderOptions = {
  /** Folder holding `template.yaml` and its skeletons. */
  templateDir?: string;
  secrets?: Record<string, string>;
  /**
   * Fill in the `default`s of the template's parameter schemas for missing
   * values, as the scaffolder form does before it submits (default true).
   */
  applyDefaults?: boolean;
};

/** App config of the render backend (e.g. `lambdaPipelines.publish`). */
export type RenderBackendConfig = NonNullable<
  NonNullable<Parameters<typeof mockServices.rootConfig.factory>[0]>['data']
>;

export type RenderBackend = {
  render(
    values: Record<string, unknown>,
    options?: RenderOptions,
  ): Promise<RenderResult>;
  stop(): Promise<void>;
};

/** Every file under `dir` except the top-level `template.yaml`. */
export function readTemplateDirectory(
  dir: string,
): Array<{ path: string; base64Content: string }> {
  const out: Array<{ path: string; base64Content: string }> = [];
  const walk = (rel: string) => {
    const abs = path.join(dir, rel);
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        walk(child);
      } else if (entry.isFile() && child !== 'template.yaml') {
        out.push({
          path: child,
          base64Content: fs.readFileSync(path.join(dir, child), 'base64'),
        });
      }
    }
  };
  walk('');
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const stripAnsi = (text: string) => text.replace(ANSI, '');

type DryRunResponse = {
  log: Array<{ body: { message: string; stepId?: string; status?: string } }>;
  output: Record<string, unknown>;
  steps: Array<{ id: string; name: string; action: string }>;
  directoryContents: Array<{
    path: string;
    base64Content: string;
    executable?: boolean;
  }>;
};

/**
 * Starts one test backend with the real scaffolder plugin and this package's
 * actions; `render` dry-runs a template through `POST /api/scaffolder/v2/dry-run`
 * exactly as the template editor does (the skeletons travel as
 * `directoryContents`, so `fetch:template` with `url: ./skeleton/...` reads
 * them). Reuse it for many renders and `stop()` it in `afterAll`.
 */
export async function startRenderBackend(
  defaults: RenderOptions = {},
  /** App config of the test backend (for example `lambdaPipelines.*`). */
  config?: Record<string, unknown>,
): Promise<RenderBackend> {
  const backend = await startTestBackend({
    features: [
      import('@backstage/plugin-scaffolder-backend'),
      scaffolderModuleLambdaPipeline,
      catalogServiceMock.factory(),
      ...(config
        ? [mockServices.rootConfig.factory({ data: config as any })]
        : []),
    ],
  });

  async function render(
    values: Record<string, unknown>,
    options: RenderOptions = {},
  ): Promise<RenderResult> {
    const {
      templateDir = LAMBDA_PIPELINE_TEMPLATE_DIR,
      secrets = {},
      applyDefaults = true,
    } = { ...defaults, ...options };
    const template = yaml.parse(
      fs.readFileSync(path.join(templateDir, 'template.yaml'), 'utf8'),
    );
    const body = {
      template,
      values: applyDefaults
        ? applyFormDefaults(template?.spec?.parameters, values)
        : values,
      secrets,
      directoryContents: readTemplateDirectory(templateDir),
    };
    const res = await request(backend.server)
      .post('/api/scaffolder/v2/dry-run')
      .set('Authorization', mockCredentials.user.header())
      .send(body);
    if (res.status !== 200) {
      const detail = Array.isArray(res.body?.errors)
        ? res.body.errors
            .map((e: { stack?: string }) => e.stack ?? JSON.stringify(e))
            .join('\n')
        : res.body?.error?.message ?? res.text;
      throw new Error(
        `Dry run of ${templateDir} failed with HTTP ${res.status}: ${detail}`,
      );
    }
    const result = res.body as DryRunResponse;
    const status = new Map<string, string>();
    for (const entry of result.log) {
      if (entry.body.stepId && entry.body.status) {
        status.set(entry.body.stepId, entry.body.status);
      }
    }
    return {
      files: result.directoryContents
        .map(file => ({
          path: file.path,
          content: Buffer.from(file.base64Content, 'base64').toString('utf8'),
          ...(file.executable ? { executable: true } : {}),
        }))
        .sort((a, b) => a.path.localeCompare(b.path)),
      log: result.log.map(entry => stripAnsi(entry.body.message)),
      output: result.output ?? {},
      steps: result.steps.map(step => ({
        ...step,
        status: status.get(step.id),
      })),
    };
  }

  return {
    render,
    stop: () => backend.stop(),
  };
}

/** One dry run on a backend of its own (see `startRenderBackend` to reuse one). */
export async function renderTemplate(options: {
  templateDir: string;
  values: Record<string, unknown>;
  secrets?: Record<string, string>;
  applyDefaults?: boolean;
  config?: RenderBackendConfig;
}): Promise<RenderResult> {
  const { values, config, ...rest } = options;
  const backend = await startRenderBackend({}, config);
  try {
    return await backend.render(values, rest);
  } finally {
    await backend.stop();
  }
}

/**
 * A render backend configured as the app is (local publishing on), for tests
 * that render pipelines to run their generated code.
 */
export function startPipelineRenderBackend(): Promise<RenderBackend> {
  return startRenderBackend(
    {},
    {
      lambdaPipelines: {
        publish: { local: { directory: '/tmp/lp-render-repos' } },
      },
    },
  );
}
