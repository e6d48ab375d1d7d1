import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import {
  startTestCluster,
  uniqueSuffix,
  writeWorkspace,
} from '../__testUtils__/cluster';
import { runDeployAction } from '../__testUtils__/deployRun';
import { kustomizeBuild } from '../__testUtils__/kustomize';
import { startPipelineRenderBackend } from '../__testUtils__/render';
import { FORM } from '../template/formVariants';
import { median, time } from '../__testUtils__/timing';

/**
 * Benchmark: how long `lambda:kubernetes:deploy` takes to apply a rendered
 * pipeline, next to `kubectl apply --server-side` of the same objects on the
 * same API server in the same run (the tool a user would otherwise run).
 *
 * Run on demand with `bench/deploy-pipeline.sh` (not part of the test
 * suite). Per round, a fresh namespace for each side:
 *  - first deploy (every object created; readiness waits off, since the
 *    stack's node and operators are simulated and would only measure kwok)
 *    vs `kubectl apply --server-side` of the kustomize build;
 *  - a second run with no change vs kubectl's second apply;
 *  - a server-side dry run of a new pipeline vs `kubectl apply --server-side
 *    --dry-run=server` (namespaced objects need their namespace, so kubectl's
 *    dry run is of an already deployed copy).
 * The deploy does more per object than kubectl (a read and a server-side
 * dry run before each apply, to report changes and skip unchanged objects),
 * so the ratios say what that costs.
 */

jest.setTimeout(60 * 60_000);

const ROUNDS = Number(process.env.LP_BENCH_ROUNDS ?? 3);
const OUT = process.env.LP_BENCH_OUT;

describe('bench: deploy one pipeline', () => {
  it(`measures ${ROUNDS} rounds`, async () => {
    const cluster = await startTestCluster();
    const kubectl = (args: string[]) =>
      execFileSync(
        cluster.env.LP_KUBECTL,
        ['--kubeconfig', cluster.env.LP_KUBECONFIG, ...args],
        {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        },
      );
    const renderer = await startPipelineRenderBackend();
    const samples: Record<string, number[]> = {};
    const record = (key: string, ms: number) => (samples[key] ??= []).push(ms);
    const namespaces: string[] = [];
    let objects = 0;
    const deploy = async (
      workspacePath: string,
      namespace: string,
      dryRun = false,
    ) => {
      const run = await runDeployAction(cluster.config(), {
        workspacePath,
        namespace,
        dryRun,
        wait: false,
      });
      if (run.error) throw run.error;
      objects = run.outputs.objects.length;
      return run.outputs.counts;
    };
    try {
      for (let round = 0; round <= ROUNDS; round++) {
        const warmUp = round === 0;
        const keep = (key: string, [ms]: [number, unknown]) =>
          !warmUp && record(key, ms);
        // Ours.
        const ours = `bench-ours-${uniqueSuffix()}`;
        namespaces.push(ours);
        const oursWs = writeWorkspace(
          (await renderer.render({ ...FORM, name: ours })).files.filter(f =>
            f.path.startsWith('platform/'),
          ),
        );
        keep('deployFirst', await time(() => deploy(oursWs, ours)));
        let counts: any;
        keep(
          'deployNoChange',
          await time(async () => (counts = await deploy(oursWs, ours))),
        );
        if (counts.created + counts.configured !== 0)
          throw new Error(
            `the re-run changed objects: ${JSON.stringify(counts)}`,
          );

        // kubectl, on a copy of the same pipeline under another name.
        const theirs = `bench-kubectl-${uniqueSuffix()}`;
        namespaces.push(theirs);
        const theirsWs = writeWorkspace(
          (await renderer.render({ ...FORM, name: theirs })).files.filter(f =>
            f.path.startsWith('platform/'),
          ),
        );
        const built = path.join(theirsWs, 'built.yaml');
        fs.writeFileSync(
          built,
          kustomizeBuild(path.join(theirsWs, 'platform/deploy/overlays/kind')),
        );
        const apply = [
          'apply',
          '--server-side',
          '--force-conflicts',
          '--field-manager=bench-kubectl',
          '-f',
          built,
        ];
        keep('kubectlFirst', await time(() => kubectl(apply)));
        keep('kubectlNoChange', await time(() => kubectl(apply)));
        keep(
          'kubectlDryRun',
          await time(() => kubectl([...apply, '--dry-run=server'])),
        );

        // A dry run of a pipeline that is not deployed yet.
        const dry = `bench-dry-${uniqueSuffix()}`;
        const dryWs = writeWorkspace(
          (await renderer.render({ ...FORM, name: dry })).files.filter(f =>
            f.path.startsWith('platform/'),
          ),
        );
        keep('deployDryRun', await time(() => deploy(dryWs, dry, true)));
        for (const ws of [oursWs, theirsWs, dryWs])
          fs.rmSync(ws, { recursive: true, force: true });
      }
    } finally {
      await renderer.stop();
      for (const ns of namespaces)
        await cluster.client
          .delete({ apiVersion: 'v1', kind: 'Namespace', name: ns })
          .catch(() => undefined);
    }

    const m = Object.fromEntries(
      Object.entries(samples).map(([k, v]) => [k, median(v)]),
    );
    const ratio = (a: number, b: number) => Math.round((a / b) * 10) / 10;
    const report = {
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        apiServer:
          'kube-apiserver v1.36.5 + etcd v3.6.16 on the same machine (stack/)',
      },
      rounds: ROUNDS,
      objects,
      medianMs: Object.fromEntries(
        Object.entries(m).map(([k, v]) => [k, Math.round(v)]),
      ),
      ratios: {
        firstDeployVsKubectl: ratio(m.deployFirst, m.kubectlFirst),
        noChangeRunVsKubectl: ratio(m.deployNoChange, m.kubectlNoChange),
        dryRunVsKubectl: ratio(m.deployDryRun, m.kubectlDryRun),
      },
    };
    // eslint-disable-next-line no-console
    console.log(JSON.stringify(report, null, 2));
    if (OUT) fs.writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
    expect(samples.deployFirst).toHaveLength(ROUNDS);
  });
});
