import { AIRFLOW_GIT_SYNC_SIDECARS } from '@internal/backstage-plugin-lambda-pipeline-common';
import yaml from 'yaml';

/** A rendered file as the dry run returns it. */
type RenderedFile = { path: string; content: string };

/**
 * Reads back, from the rendered platform repository, the memory every
 * container is given — Kubernetes resources, Strimzi resources, Spark's
 * memory + memoryOverhead and Helm values — keyed by the memory table's
 * component ids, with replicas multiplied in. The test compares this with the
 * plan's table, so the table cannot drift from what is deployed.
 */
export type RenderedMemory = Record<
  string,
  { requestMiB: number; limitMiB: number }
>;

const MIB: Record<string, number> = { Mi: 1, Gi: 1024, m: 1, g: 1024 };

function mib(quantity: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(Mi|Gi|m|g)$/.exec(String(quantity ?? ''));
  if (!match) {
    throw new Error(`not a memory quantity: '${quantity}'`);
  }
  return Number(match[1]) * MIB[match[2]];
}

export function memoryFromRendered(files: RenderedFile[]): RenderedMemory {
  const docs = (p: string) => {
    const file = files.find(f => f.path === `platform/${p}`);
    if (!file) {
      throw new Error(`platform/${p} was not rendered`);
    }
    return yaml.parseAllDocuments(file.content).map(d => d.toJSON());
  };
  const one = (p: string) => docs(p)[0];
  const out: RenderedMemory = {};
  const add = (id: string, resources: any, replicas = 1) => {
    if (!resources?.limits?.memory || !resources?.requests?.memory) {
      throw new Error(`${id}: requests and limits must both set memory`);
    }
    const entry = (out[id] ??= { requestMiB: 0, limitMiB: 0 });
    entry.requestMiB += mib(resources.requests.memory) * replicas;
    entry.limitMiB += mib(resources.limits.memory) * replicas;
  };
  const containersOf = (kind: string, p: string) =>
    docs(p)
      .filter((d: any) => d.kind === kind)
      .flatMap((d: any) =>
        d.spec.template.spec.containers.map((c: any) => ({
          replicas: d.spec.replicas ?? 1,
          c,
        })),
      );

  // The dbt DAG's pod takes its resources from the DAG repo's pipeline.json.
  const dagConfig = files.find(f => f.path === 'dags/pipeline.json');
  if (dagConfig) {
    const dbt = JSON.parse(dagConfig.content).dbt.resources;
    add('dbt-build', {
      requests: { memory: dbt.requestMemory },
      limits: { memory: dbt.limitMemory },
    });
  }
  add('strimzi-operator', one('helm/strimzi.values.yaml').resources);
  add('sealed-secrets', one('helm/sealed-secrets.values.yaml').resources);
  const sparkOperator = one('helm/spark-operator.values.yaml');
  add('spark-operator-controller', sparkOperator.controller.resources);
  add('spark-operator-webhook', sparkOperator.webhook.resources);

  for (const { replicas, c } of containersOf(
    'StatefulSet',
    'deploy/base/postgres/statefulset.yaml',
  )) {
    add('postgres', c.resources, replicas);
  }
  for (const { replicas, c } of containersOf(
    'StatefulSet',
    'deploy/base/clickhouse/statefulset.yaml',
  )) {
    add('clickhouse', c.resources, replicas);
  }

  const kafka = docs('deploy/base/kafka/kafka.yaml');
  for (const pool of kafka.filter((d: any) => d.kind === 'KafkaNodePool')) {
    add('kafka', pool.spec.resources, pool.spec.replicas);
  }
  const cluster = kafka.find((d: any) => d.kind === 'Kafka');
  add(
    'kafka-topic-operator',
    cluster.spec.entityOperator.topicOperator.resources,
  );
  add('kafka-exporter', cluster.spec.kafkaExporter.resources);
  const connect = docs('deploy/base/kafka/connect.yaml').find(
    (d: any) => d.kind === 'KafkaConnect',
  );
  add('kafka-connect', connect.spec.resources, connect.spec.replicas);
  add('kafka-connect-build', connect.spec.build.resources);

  for (const [job, p] of [
    ['speed', 'deploy/base/spark/speed.yaml'],
    ['batch', 'deploy/base/spark/batch.yaml'],
  ]) {
    const app = one(p);
    for (const role of ['driver', 'executor'] as const) {
      const pod = app.spec[role];
      // Spark sizes a PySpark executor's pod with its Python workers' memory too.
      const python =
        role === 'executor' &&
        app.spec.sparkConf?.['spark.executor.pyspark.memory']
          ? mib(app.spec.sparkConf['spark.executor.pyspark.memory'])
          : 0;
      const total = mib(pod.memory) + mib(pod.memoryOverhead) + python;
      const replicas = role === 'executor' ? pod.instances : 1;
      add(
        `${job}-${role}`,
        {
          requests: { memory: `${total}Mi` },
          limits: { memory: `${total}Mi` },
        },
        replicas,
      );
    }
  }

  const airflow = one('helm/airflow.values.yaml');
  add('airflow-api-server', airflow.apiServer.resources);
  add('airflow-scheduler', airflow.scheduler.resources);
  add('airflow-dag-processor', airflow.dagProcessor.resources);
  add('airflow-triggerer', airflow.triggerer.resources);
  add('airflow-task', airflow.workers.resources);
  add('airflow-migrate-db', airflow.migrateDatabaseJob.resources);
  add('airflow-create-user', airflow.createUserJob.resources);
  add(
    'airflow-git-sync',
    airflow.dags.gitSync.resources,
    AIRFLOW_GIT_SYNC_SIDECARS,
  );

  const monitoring = one('helm/kube-prometheus-stack.values.yaml');
  add('prometheus', monitoring.prometheus.prometheusSpec.resources);
  add(
    'prometheus-config-reloader',
    monitoring.prometheusOperator.prometheusConfigReloader.resources,
  );
  add('prometheus-operator', monitoring.prometheusOperator.resources);
  add('kube-state-metrics', monitoring['kube-state-metrics'].resources);
  add('grafana', monitoring.grafana.resources);
  add('grafana-dashboard-sidecar', monitoring.grafana.sidecar.resources);
  return out;
}
