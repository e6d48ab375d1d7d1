import fs from 'fs';
import os from 'os';
import path from 'path';
import yaml from 'yaml';
import {
  parsePipelineSpec,
  planPipeline,
  specFromForm,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { RenderResult, startRenderBackend } from '../__testUtils__/render';
import { parseYamlFiles } from '../__testUtils__/yamlFiles';
import { loadManifestValidator } from '../__testUtils__/manifests';
import { validateHelmValues } from '../__testUtils__/helmValues';
import { scanForSecrets } from '../__testUtils__/secrets';
import { kustomizeBuild } from '../__testUtils__/kustomize';
import { findUnrenderedSyntax } from '../__testUtils__/unrendered';
import { memoryFromRendered } from './renderedMemory';
import { FORM } from './formVariants';
import { median, time } from '../__testUtils__/timing';

/**
 * Benchmark: time to plan, render and validate one pipeline.
 *
 * Run on demand with `bench/render-pipeline.sh` (not part of the test
 * suite). Every figure is the median of `LP_BENCH_ROUNDS` rounds after one
 * warm-up round, next to a reference measured in the same process, so the
 * ratios survive a slower or busier machine:
 *  - render is compared with a dry-run of a one-file template through the
 *    same scaffolder (the scaffolder's own floor);
 *  - the kustomize build of the pipeline is compared with a build of a
 *    one-object kustomization.
 */

jest.setTimeout(30 * 60_000);

const ROUNDS = Number(process.env.LP_BENCH_ROUNDS ?? 5);
const OUT = process.env.LP_BENCH_OUT;

/** Writes the rendered files to a fresh directory and returns it. */
function materialize(result: RenderResult): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-bench-'));
  for (const f of result.files) {
    const target = path.join(dir, f.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.content);
  }
  return dir;
}

function makeReferenceTemplate(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-bench-ref-'));
  fs.mkdirSync(path.join(dir, 'skeleton'));
  fs.writeFileSync(
    path.join(dir, 'skeleton', 'README.md'),
    '# ${{ values.name }}\n',
  );
  fs.writeFileSync(
    path.join(dir, 'template.yaml'),
    yaml.stringify({
      apiVersion: 'scaffolder.backstage.io/v1beta3',
      kind: 'Template',
      metadata: { name: 'bench-reference' },
      spec: {
        owner: 'group:default/bench',
        type: 'service',
        parameters: [
          {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string' } },
          },
        ],
        steps: [
          {
            id: 'fetch',
            name: 'Render one file',
            action: 'fetch:template',
            input: {
              url: './skeleton',
              values: { name: '${{ parameters.name }}' },
            },
          },
        ],
      },
    }),
  );
  return dir;
}

function makeReferenceKustomization(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-bench-kust-'));
  fs.writeFileSync(
    path.join(dir, 'kustomization.yaml'),
    'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\n',
  );
  fs.writeFileSync(
    path.join(dir, 'cm.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bench}\ndata: {a: b}\n',
  );
  return dir;
}

describe('bench: plan, render and validate one pipeline', () => {
  it(`measures ${ROUNDS} rounds`, async () => {
    const [startupMs, backend] = await time(() =>
      startRenderBackend(
        {},
        {
          lambdaPipelines: {
            publish: { local: { directory: '/tmp/lp-bench-repos' } },
          },
        },
      ),
    );
    const refTemplate = makeReferenceTemplate();
    const refKustomization = makeReferenceKustomization();
    const validator = await loadManifestValidator();

    const samples: Record<string, number[]> = {
      plan: [],
      render: [],
      renderReference: [],
      parseAndSchemas: [],
      kustomize: [],
      kustomizeReference: [],
      checks: [],
    };
    let files = 0;
    let objects = 0;
    try {
      for (let round = 0; round <= ROUNDS; round++) {
        const keep = round > 0; // round 0 warms caches and the JIT
        const record = (k: string, ms: number) => keep && samples[k].push(ms);

        const [planMs] = await time(() =>
          planPipeline(parsePipelineSpec(specFromForm(FORM))),
        );
        record('plan', planMs);

        const [renderMs, result] = await time(() =>
          backend.render({ ...FORM }),
        );
        record('render', renderMs);
        const [refMs] = await time(() =>
          backend.render({ name: 'x' }, { templateDir: refTemplate }),
        );
        record('renderReference', refMs);

        const [parseMs, n] = await time(() => {
          const parsed = parseYamlFiles(result.files);
          const docs = parsed
            .filter(f => f.path.startsWith('platform/deploy/'))
            .filter(f => !f.path.endsWith('kustomization.yaml'))
            .flatMap(f => f.docs);
          const errors = docs.flatMap(d => validator.validate(d));
          const airflow = yaml.parse(
            result.files.find(
              f => f.path === 'platform/helm/airflow.values.yaml',
            )!.content,
          );
          errors.push(...validateHelmValues(airflow, 'airflow'));
          if (errors.length) throw new Error(errors.join('\n'));
          return docs.length;
        });
        record('parseAndSchemas', parseMs);
        objects = n;
        files = result.files.length;

        const dir = materialize(result);
        try {
          const [kMs] = await time(() =>
            kustomizeBuild(path.join(dir, 'platform/deploy/overlays/kind')),
          );
          record('kustomize', kMs);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
        const [kRefMs] = await time(() => kustomizeBuild(refKustomization));
        record('kustomizeReference', kRefMs);

        const [checksMs] = await time(() => {
          const leftovers = findUnrenderedSyntax(result.files);
          const secrets = scanForSecrets(result.files);
          memoryFromRendered(result.files);
          if (leftovers.length || secrets.length) {
            throw new Error(JSON.stringify({ leftovers, secrets }));
          }
        });
        record('checks', checksMs);
      }
    } finally {
      await backend.stop();
      fs.rmSync(refTemplate, { recursive: true, force: true });
      fs.rmSync(refKustomization, { recursive: true, force: true });
    }

    const m = Object.fromEntries(
      Object.entries(samples).map(([k, v]) => [k, median(v)]),
    );
    const validate = m.parseAndSchemas + m.kustomize + m.checks;
    const total = m.plan + m.render + validate;
    const report = {
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
      },
      rounds: ROUNDS,
      renderedFiles: files,
      kubernetesObjects: objects,
      backendStartupMs: Math.round(startupMs),
      medianMs: Object.fromEntries(
        Object.entries(m).map(([k, v]) => [k, Math.round(v * 10) / 10]),
      ),
      totalMs: Math.round(total),
      ratios: {
        renderVsOneFileTemplate:
          Math.round((m.render / m.renderReference) * 10) / 10,
        kustomizeVsOneObject:
          Math.round((m.kustomize / m.kustomizeReference) * 10) / 10,
        validateShareOfTotal: Math.round((validate / total) * 100) / 100,
      },
    };
    // eslint-disable-next-line no-console
    console.log(JSON.stringify(report, null, 2));
    if (OUT) fs.writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
    expect(samples.render).toHaveLength(ROUNDS);
  });
});
