import { EXAMPLE_PIPELINE_SPEC } from '../spec/example';
import { parsePipelineSpec, validatePipelineSpec } from '../spec/validate';
import { formatMiB, parseMemoryMiB } from './quantity';
import {
  memoryPlan,
  partitionsFor,
  pipelineSizing,
  speedExecutorsFor,
} from './sizing';

const inputWith = (targetEventsPerSecond: number, memoryBudget: string) => ({
  ...EXAMPLE_PIPELINE_SPEC,
  spec: {
    ...EXAMPLE_PIPELINE_SPEC.spec,
    throughput: { targetEventsPerSecond },
    resources: { memoryBudget },
  },
});

const withTarget = (targetEventsPerSecond: number, memoryBudget = '64Gi') =>
  parsePipelineSpec(inputWith(targetEventsPerSecond, memoryBudget));

describe('sizing', () => {
  it('parses and formats memory quantities', () => {
    expect(parseMemoryMiB('16Gi')).toBe(16384);
    expect(parseMemoryMiB('1.5Gi')).toBe(1536);
    expect(parseMemoryMiB('512Mi')).toBe(512);
    expect(() => parseMemoryMiB('16GB')).toThrow(/not a memory quantity/);
    expect(formatMiB(14464)).toBe('14.1 GiB');
    expect(formatMiB(640)).toBe('640 MiB');
  });

  it('plans partitions and executors from the target rate', () => {
    expect(speedExecutorsFor(1)).toBe(1);
    expect(speedExecutorsFor(20_000)).toBe(1);
    expect(speedExecutorsFor(60_000)).toBe(3);
    expect(partitionsFor(1)).toBe(2);
    expect(partitionsFor(20_000)).toBe(4);
    expect(partitionsFor(21_000)).toBe(6);
    expect(partitionsFor(60_000)).toBe(12);
  });

  it('keeps an explicit partition count', () => {
    const spec = withTarget(20_000);
    spec.spec.kafka.partitions = 7;
    expect(pipelineSizing(spec).partitions).toBe(7);
  });

  it('sizes micro-batches for twice the target per trigger', () => {
    expect(pipelineSizing(withTarget(20_000)).maxOffsetsPerTrigger).toBe(
      200_000,
    );
  });

  it('adds up the memory table and checks it against the budget', () => {
    const plan = memoryPlan(withTarget(20_000, '16Gi'));
    const steady = plan.components
      .filter(c => c.phase === 'steady')
      .reduce((sum, c) => sum + c.limitMiB * c.replicas, 0);
    expect(plan.steadyLimitMiB).toBe(steady);
    expect(plan.peakLimitMiB).toBe(
      plan.steadyLimitMiB + Math.max(plan.burstLimitMiB, plan.deployLimitMiB),
    );
    expect(plan.fits).toBe(true);
    expect(plan.headroomMiB).toBe(16384 - plan.peakLimitMiB);
    // At least 1 GiB of the 16 GiB stays free at the peak.
    expect(plan.headroomMiB).toBeGreaterThanOrEqual(1024);
    plan.components.forEach(c =>
      expect(c.requestMiB).toBeLessThanOrEqual(c.limitMiB),
    );
    // Spark pods need at least 384 MiB of overhead on top of the JVM heap,
    // and a heap of at least 450 MiB (Spark refuses less: 1.5 x its 300 MiB
    // reserve); the PySpark drivers keep 512 MiB for the Python driver.
    const spark = plan.components.filter(
      c => c.id.includes('executor') || c.id.includes('driver'),
    );
    expect(spark.length).toBe(4);
    for (const c of spark) {
      const overhead = c.sparkOverheadMiB ?? 384;
      expect({ id: c.id, overhead: overhead >= 384 }).toEqual({
        id: c.id,
        overhead: true,
      });
      expect({
        id: c.id,
        heap: c.limitMiB - overhead - (c.pysparkMiB ?? 0) >= 450,
      }).toEqual({ id: c.id, heap: true });
    }
    expect(
      spark.filter(c => c.id.endsWith('driver')).map(c => c.sparkOverheadMiB),
    ).toEqual([512, 512]);
  });

  it('counts one Airflow run at a time: the largest of a batch load (task pod + Spark pods) and a dbt build (task pod + dbt pod)', () => {
    const plan = memoryPlan(withTarget(20_000, '16Gi'));
    const limit = (id: string) => {
      const c = plan.components.find(x => x.id === id)!;
      return c.limitMiB * c.replicas;
    };
    const batchLoad =
      limit('airflow-task') + limit('batch-driver') + limit('batch-executor');
    const dbtBuild = limit('airflow-task') + limit('dbt-build');
    expect(plan.burstLimitMiB).toBe(Math.max(batchLoad, dbtBuild));
    expect(plan.components.find(x => x.id === 'airflow-task')!.replicas).toBe(
      1,
    );
    // Every burst container belongs to a run; the deploy-time jobs are all counted together.
    for (const c of plan.components.filter(x => x.phase === 'burst'))
      expect({ id: c.id, runs: c.burstRuns?.length ?? 0 }).not.toEqual({
        id: c.id,
        runs: 0,
      });
    expect(plan.deployLimitMiB).toBe(
      limit('kafka-connect-build') +
        limit('airflow-migrate-db') +
        limit('airflow-create-user'),
    );
  });

  it('keeps 1 GiB free: a budget that holds the peak but not the reserve is refused', () => {
    const plan = memoryPlan(withTarget(20_000, '16Gi'));
    const tight = `${plan.peakLimitMiB + 1023}Mi`;
    const enough = `${plan.peakLimitMiB + 1024}Mi`;
    expect(validatePipelineSpec(inputWith(20_000, tight)).valid).toBe(false);
    expect(validatePipelineSpec(inputWith(20_000, enough)).valid).toBe(true);
  });

  it('grows the speed layer with the target and stops fitting a small budget', () => {
    const small = memoryPlan(withTarget(20_000));
    const large = memoryPlan(withTarget(100_000));
    // Three more executors of 1152 MiB (heap, JVM overhead, Python workers).
    expect(large.steadyLimitMiB - small.steadyLimitMiB).toBe(3 * 1152);
    expect(large.fits).toBe(true);
    expect(validatePipelineSpec(inputWith(100_000, '16Gi')).valid).toBe(false);
    expect(validatePipelineSpec(inputWith(100_000, '20Gi')).valid).toBe(true);
  });
});
