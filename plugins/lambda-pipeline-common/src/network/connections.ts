import { LambdaPipeline } from '../spec/schema';
import { kafkaClusterName, kafkaConnectName } from '../naming/pipelineNames';

/**
 * The network paths a pipeline needs inside its namespace, written down as
 * data (who talks to whom, on which port, and why). The platform
 * repository's NetworkPolicies are rendered from this list and nothing else:
 * every namespace denies ingress by default, and each required connection
 * opens exactly one path. Tests evaluate the rendered policies against this
 * list both ways (every required connection allowed, anything else denied).
 *
 * Egress stays open: the pods reach S3, Snowflake, the Kubernetes API,
 * Maven Central (Connect's image build) and DNS outside the namespace.
 */

/** Ports the pipeline's pods listen on, in one place. */
export const PORTS = {
  postgres: 5432,
  kafkaClients: 9092,
  /** Strimzi's internal listeners: controller and replication (TLS). */
  kafkaController: 9090,
  kafkaReplication: 9091,
  /** JMX Prometheus exporter of brokers, Connect and the Kafka exporter (`tcp-prometheus`). */
  strimziMetrics: 9404,
  connectRest: 8083,
  clickhouseHttp: 8123,
  clickhouseMetrics: 9363,
  /** Fixed Spark ports (SparkConf renders them), so the policies can name them. */
  sparkDriverRpc: 7078,
  sparkBlockManager: 7079,
  sparkUi: 4040,
  sparkOperatorWebhook: 9443,
  airflowApi: 8080,
  prometheus: 9090,
  grafana: 3000,
  kubeStateMetrics: 8080,
} as const;

/**
 * NodePorts kind maps to 127.0.0.1 on the host (kind/cluster.yaml): the
 * Airflow UI, Grafana and the speed job's Spark UI in a browser.
 */
export const NODE_PORTS = {
  airflow: 30080,
  grafana: 30300,
  sparkUi: 30404,
} as const;

/** A set of pods, by the labels their controllers give them; `outside`: any source outside the pods (the node, the API server, a browser through a NodePort). */
export interface NetworkPeer {
  id: string;
  title: string;
  labels?: Record<string, string>;
  outside?: true;
}

export interface RequiredConnection {
  from: string[];
  to: string;
  ports: number[];
  why: string;
}

/** The pods of a pipeline's namespace, by role. */
export function networkPeers(
  spec: LambdaPipeline,
): Record<string, NetworkPeer> {
  const kafka = kafkaClusterName(spec);
  const connect = kafkaConnectName(spec);
  const airflow = (component: string, title: string): NetworkPeer => ({
    id: `airflow-${component}`,
    title,
    labels: { tier: 'airflow', component },
  });
  const peers: NetworkPeer[] = [
    {
      id: 'postgres',
      title: 'PostgreSQL (source, Iceberg catalog, Airflow metadata)',
      labels: { 'app.kubernetes.io/name': 'postgres' },
    },
    {
      id: 'kafka',
      title: 'Kafka brokers (Strimzi)',
      labels: {
        'strimzi.io/cluster': kafka,
        'strimzi.io/name': `${kafka}-kafka`,
      },
    },
    {
      id: 'kafka-entity-operator',
      title: "Strimzi's topic operator",
      labels: { 'strimzi.io/name': `${kafka}-entity-operator` },
    },
    {
      id: 'kafka-exporter',
      title: 'Kafka exporter (consumer lag)',
      labels: { 'strimzi.io/name': `${kafka}-kafka-exporter` },
    },
    {
      id: 'connect',
      title: 'Kafka Connect (Debezium, lake sink)',
      labels: {
        'strimzi.io/cluster': connect,
        'strimzi.io/kind': 'KafkaConnect',
      },
    },
    {
      id: 'strimzi-operator',
      title: "Strimzi's cluster operator",
      labels: { 'strimzi.io/kind': 'cluster-operator' },
    },
    {
      id: 'clickhouse',
      title: 'ClickHouse (speed layer)',
      labels: { 'app.kubernetes.io/name': 'clickhouse' },
    },
    {
      id: 'spark-driver',
      title: 'Spark drivers (speed and batch jobs)',
      labels: { 'spark-role': 'driver' },
    },
    {
      id: 'spark-executor',
      title: 'Spark executors',
      labels: { 'spark-role': 'executor' },
    },
    {
      id: 'spark-operator-webhook',
      title: "Spark operator's webhook",
      labels: {
        'app.kubernetes.io/name': 'spark-operator',
        'app.kubernetes.io/component': 'webhook',
      },
    },
    airflow('api-server', 'Airflow API server (UI, Execution API)'),
    airflow('scheduler', 'Airflow scheduler'),
    airflow('dag-processor', 'Airflow DAG processor'),
    airflow('triggerer', 'Airflow triggerer (Deadline Alerts)'),
    airflow('worker', 'Airflow task pods (KubernetesExecutor)'),
    airflow('run-airflow-migrations', "Airflow's database migration job"),
    airflow('create-user-job', "Airflow's admin-user job"),
    {
      id: 'dbt',
      title: 'dbt build pods (launched by the dbt DAG)',
      labels: { 'lambda-pipelines.io/layer': 'dbt' },
    },
    {
      id: 'prometheus',
      title: 'Prometheus',
      labels: { 'app.kubernetes.io/name': 'prometheus' },
    },
    {
      id: 'grafana',
      title: 'Grafana',
      labels: { 'app.kubernetes.io/name': 'grafana' },
    },
    {
      id: 'kube-state-metrics',
      title: 'kube-state-metrics',
      labels: { 'app.kubernetes.io/name': 'kube-state-metrics' },
    },
    {
      id: 'outside',
      title: 'outside the pods (the API server, a browser through a NodePort)',
      outside: true,
    },
  ];
  return Object.fromEntries(peers.map(p => [p.id, p]));
}

const AIRFLOW_DB_CLIENTS = [
  'airflow-api-server',
  'airflow-scheduler',
  'airflow-dag-processor',
  'airflow-triggerer',
  'airflow-run-airflow-migrations',
  'airflow-create-user-job',
];

/** Every connection the pipeline needs inside its namespace. */
export function requiredConnections(
  spec: LambdaPipeline,
): RequiredConnection[] {
  const catalog = spec.spec.lake.iceberg.catalog;
  // A JDBC catalog on the pipeline's own PostgreSQL (its Service `postgres`);
  // one elsewhere is reached by egress, which stays open.
  const catalogInCluster =
    catalog.type === 'jdbc' &&
    /^jdbc:postgresql:\/\/postgres([.:/]|$)/.test(catalog.uri);
  const c = (
    from: string[],
    to: string,
    ports: number[],
    why: string,
  ): RequiredConnection => ({ from, to, ports, why });
  return [
    c(
      ['connect'],
      'postgres',
      [PORTS.postgres],
      'Debezium reads the WAL of the source tables',
    ),
    c(
      AIRFLOW_DB_CLIENTS,
      'postgres',
      [PORTS.postgres],
      "Airflow's metadata database",
    ),
    ...(catalogInCluster
      ? [
          c(
            ['spark-driver', 'spark-executor', 'connect'],
            'postgres',
            [PORTS.postgres],
            'the Iceberg JDBC catalog (the lake sink commits, the batch job reads)',
          ),
        ]
      : []),
    c(
      ['connect', 'spark-driver', 'spark-executor', 'kafka-exporter'],
      'kafka',
      [PORTS.kafkaClients],
      'clients of the CDC topics: Connect, the speed job, the lag exporter',
    ),
    c(
      ['kafka', 'strimzi-operator', 'kafka-entity-operator'],
      'kafka',
      [PORTS.kafkaController, PORTS.kafkaReplication],
      "Strimzi's internal listeners: KRaft controller, replication, the operators' admin client",
    ),
    c(
      ['strimzi-operator'],
      'connect',
      [PORTS.connectRest],
      "the cluster operator manages connectors through Connect's REST API",
    ),
    c(['prometheus'], 'kafka', [PORTS.strimziMetrics], 'broker metrics'),
    c(['prometheus'], 'connect', [PORTS.strimziMetrics], 'Connect metrics'),
    c(
      ['prometheus'],
      'kafka-exporter',
      [PORTS.strimziMetrics],
      'consumer lag metrics',
    ),
    c(
      ['spark-driver', 'spark-executor', 'airflow-worker'],
      'clickhouse',
      [PORTS.clickhouseHttp],
      'the speed job writes; the reconciliation and data-quality tasks read',
    ),
    c(
      ['prometheus'],
      'clickhouse',
      [PORTS.clickhouseMetrics],
      'ClickHouse metrics',
    ),
    c(
      ['spark-executor'],
      'spark-driver',
      [PORTS.sparkDriverRpc, PORTS.sparkBlockManager],
      'executors register with their driver and fetch blocks from it',
    ),
    c(
      ['spark-driver', 'spark-executor'],
      'spark-executor',
      [PORTS.sparkBlockManager],
      'block transfers between executors (shuffle, cached data) and from the driver',
    ),
    c(
      ['prometheus'],
      'spark-driver',
      [PORTS.sparkUi],
      "the driver's metrics (/metrics/prometheus on the UI port)",
    ),
    c(
      ['outside'],
      'spark-driver',
      [PORTS.sparkUi],
      "the speed job's Spark UI (its NodePort on the pipeline's own kind cluster, or a port-forward)",
    ),
    c(
      ['outside'],
      'spark-operator-webhook',
      [PORTS.sparkOperatorWebhook],
      "the Kubernetes API server calls the operator's admission webhook",
    ),
    c(
      [
        'airflow-worker',
        'airflow-triggerer',
        'airflow-dag-processor',
        'airflow-scheduler',
      ],
      'airflow-api-server',
      [PORTS.airflowApi],
      "Airflow 3's Execution API: task pods report state and read variables through the API server",
    ),
    c(
      ['outside'],
      'airflow-api-server',
      [PORTS.airflowApi],
      'the Airflow UI and REST API through the NodePort (and the Backstage plugin)',
    ),
    c(['grafana'], 'prometheus', [PORTS.prometheus], "the dashboard's queries"),
    c(
      ['outside'],
      'grafana',
      [PORTS.grafana],
      'the dashboard through the NodePort',
    ),
    c(
      ['prometheus'],
      'kube-state-metrics',
      [PORTS.kubeStateMetrics],
      'pod and workload state for the alert rules',
    ),
  ];
}

export interface PlannedPolicyPeer {
  labels?: Record<string, string>;
  /** Any source (ipBlock 0.0.0.0/0): traffic that does not come from a pod of the namespace. */
  outside?: true;
  id: string;
}

export interface PlannedNetworkPolicy {
  name: string;
  /** The pods the policy admits traffic to. */
  podSelector: Record<string, string>;
  ingress: Array<{
    from: PlannedPolicyPeer[];
    ports: number[];
    why: string[];
  }>;
}

/**
 * The NetworkPolicies rendered from `requiredConnections`: one per
 * destination, one ingress rule per distinct set of ports.
 */
export function networkPolicies(spec: LambdaPipeline): PlannedNetworkPolicy[] {
  const peers = networkPeers(spec);
  const byDestination = new Map<string, RequiredConnection[]>();
  for (const connection of requiredConnections(spec)) {
    const list = byDestination.get(connection.to) ?? [];
    list.push(connection);
    byDestination.set(connection.to, list);
  }
  return [...byDestination.entries()].map(([to, connections]) => {
    const rules = new Map<string, PlannedNetworkPolicy['ingress'][number]>();
    for (const connection of connections) {
      const key = [...connection.ports].sort((a, b) => a - b).join(',');
      const rule = rules.get(key) ?? {
        from: [],
        ports: [...connection.ports].sort((a, b) => a - b),
        why: [],
      };
      for (const id of connection.from) {
        if (!rule.from.some(f => f.id === id)) {
          const peer = peers[id];
          rule.from.push(
            peer.outside ? { id, outside: true } : { id, labels: peer.labels },
          );
        }
      }
      rule.why.push(connection.why);
      rules.set(key, rule);
    }
    return {
      name: `allow-to-${to}`,
      podSelector: peers[to].labels!,
      ingress: [...rules.values()],
    };
  });
}
