import yaml from 'yaml';
import { loadCrds } from './crds';
import {
  jsonPath,
  loadManifestValidator,
  ManifestValidator,
  untranslatablePatterns,
  validateManifestFiles,
} from './manifests';

// The first run downloads the kubernetes-validate wheel (~22 MB) from PyPI.
jest.setTimeout(600_000);

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'orders', labels: { app: 'web' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'web',
            image: 'nginx:1.29',
            ports: [{ containerPort: 8080, name: 'http' }],
            resources: {
              requests: { cpu: '100m', memory: '64Mi' },
              limits: { cpu: 1, memory: '128Mi' },
            },
            readinessProbe: { httpGet: { path: '/', port: 'http' } },
          },
        ],
      },
    },
  },
});

const kafkaTopic = (apiVersion = 'kafka.strimzi.io/v1') => ({
  apiVersion,
  kind: 'KafkaTopic',
  metadata: {
    name: 'orders.cdc',
    namespace: 'kafka',
    labels: { 'strimzi.io/cluster': 'lambda' },
  },
  spec: {
    partitions: 4,
    replicas: 1,
    config: { 'retention.ms': 604800000, 'cleanup.policy': 'delete' },
  },
});

const VALID_RESOURCES = `
apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata: {name: lambda, namespace: kafka}
spec:
  kafka:
    version: 4.3.1
    listeners: [{name: plain, port: 9092, type: internal, tls: false}]
    config: {offsets.topic.replication.factor: 1, min.insync.replicas: 1}
  entityOperator: {topicOperator: {}, userOperator: {}}
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata: {name: dual, namespace: kafka, labels: {strimzi.io/cluster: lambda}}
spec:
  replicas: 1
  roles: [controller, broker]
  storage: {type: jbod, volumes: [{id: 0, type: persistent-claim, size: 10Gi, deleteClaim: false, kraftMetadata: shared}]}
  resources: {requests: {memory: 1Gi, cpu: "1"}, limits: {memory: 2Gi}}
---
apiVersion: kafka.strimzi.io/v1
kind: KafkaConnect
metadata: {name: connect, namespace: kafka, annotations: {strimzi.io/use-connector-resources: "true"}}
spec:
  version: 4.3.1
  replicas: 1
  bootstrapServers: lambda-kafka-bootstrap:9092
  groupId: connect
  configStorageTopic: connect-configs
  offsetStorageTopic: connect-offsets
  statusStorageTopic: connect-status
  config: {config.storage.replication.factor: 1}
  resources: {requests: {memory: 1Gi, cpu: 250m}}
  template:
    pod:
      metadata: {labels: {app: connect}}
---
apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata: {name: speed, namespace: spark}
spec:
  type: Scala
  mode: cluster
  image: spark:4.0.0
  mainClass: org.example.Speed
  mainApplicationFile: local:///opt/app.jar
  sparkVersion: 4.0.0
  sparkConf: {spark.sql.shuffle.partitions: "4"}
  restartPolicy: {type: Always}
  driver: {cores: 1, coreLimit: 1200m, memory: 512m, serviceAccount: spark, env: [{name: A, valueFrom: {secretKeyRef: {name: s3, key: access-key}}}]}
  executor: {instances: 2, cores: 1, memory: 1g}
---
apiVersion: sparkoperator.k8s.io/v1beta2
kind: ScheduledSparkApplication
metadata: {name: batch, namespace: spark}
spec:
  schedule: "@every 1h"
  concurrencyPolicy: Forbid
  template:
    type: Python
    mode: cluster
    image: spark:4.0.0
    mainApplicationFile: local:///opt/batch.py
    sparkVersion: 4.0.0
    driver: {cores: 1, memory: 512m}
    executor: {instances: 1, cores: 1, memory: 512m}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: connect, namespace: kafka}
spec:
  selector: {matchLabels: {app: connect}}
  endpoints: [{port: metrics, interval: 30s, path: /metrics}]
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: kafka, namespace: kafka}
spec:
  selector: {matchLabels: {strimzi.io/kind: Kafka}}
  podMetricsEndpoints: [{port: tcp-prometheus, targetPort: 9404}]
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: lag, namespace: kafka}
spec:
  groups:
    - name: lag
      rules:
        - alert: ConsumerLag
          expr: sum(kafka_consumergroup_lag) > 1000
          for: 5m
          labels: {severity: warning}
          annotations: {summary: "lag on {{ $labels.topic }}"}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: pg, namespace: orders}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: aws, kind: SecretStore}
  target: {name: pg, creationPolicy: Owner}
  data: [{secretKey: password, remoteRef: {key: db/pg, property: password}}]
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: aws, namespace: orders}
spec:
  provider:
    aws:
      service: SecretsManager
      region: eu-west-1
      auth: {jwt: {serviceAccountRef: {name: eso}}}
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: pg, namespace: orders}
spec:
  encryptedData: {password: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq}
  template: {metadata: {name: pg}, type: Opaque}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg, namespace: orders}
spec:
  serviceName: pg
  replicas: 1
  selector: {matchLabels: {app: pg}}
  template:
    metadata: {labels: {app: pg}}
    spec:
      containers:
        - name: pg
          image: postgres:17
          env: [{name: POSTGRES_PASSWORD, valueFrom: {secretKeyRef: {name: pg, key: password}}}]
          ports: [{containerPort: 5432}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: orders}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432, protocol: TCP}]}]
`;

describe('loadManifestValidator', () => {
  let validator: ManifestValidator;
  beforeAll(async () => {
    validator = await loadManifestValidator();
  });

  it('accepts a valid Deployment (int-or-string ports, quantities)', () => {
    expect(validator.validate(deployment())).toEqual([]);
  });

  it('reports an unknown field inside a container with its path', () => {
    const obj: any = deployment();
    obj.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
    expect(validator.validate(obj)).toEqual([
      'Deployment/orders/web: .spec.template.spec.containers[0].imagePullPolicyy: unknown field "imagePullPolicyy"',
    ]);
  });

  it('reports wrong types and a missing name', () => {
    const obj: any = deployment();
    obj.spec.replicas = 'two';
    delete obj.metadata.name;
    expect(validator.validate(obj)).toEqual([
      'Deployment/orders/<no name>: .metadata.name: required',
      'Deployment/orders/<no name>: .spec.replicas: must be integer,null',
    ]);
  });

  it('validates other built-in kinds and rejects unknown ones', () => {
    expect(
      validator.validate({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'info', namespace: 'kube-public' },
        data: { a: 'b' },
      }),
    ).toEqual([]);
    expect(
      validator.validate({
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'web' },
        spec: { maxUnavailable: 1, selector: { matchLabels: { a: 'b' } } },
      }),
    ).toEqual([]);
    expect(
      validator.validate({
        apiVersion: 'policy/v1beta1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'web' },
      }),
    ).toEqual([
      'PodDisruptionBudget/web: policy/v1beta1 PodDisruptionBudget is neither a Kubernetes 1.36 built-in kind nor a kind of the vendored CRDs (groups: bitnami.com, external-secrets.io, kafka.strimzi.io, monitoring.coreos.com, sparkoperator.k8s.io)',
    ]);
  });

  it('accepts a valid Strimzi kafka.strimzi.io/v1 KafkaTopic', () => {
    expect(validator.validate(kafkaTopic())).toEqual([]);
  });

  it('rejects kafka.strimzi.io/v1beta2, which Strimzi 1.x no longer serves', () => {
    expect(validator.validate(kafkaTopic('kafka.strimzi.io/v1beta2'))).toEqual([
      'KafkaTopic/kafka/orders.cdc: apiVersion kafka.strimzi.io/v1beta2 is not served by the KafkaTopic CRD (served: kafka.strimzi.io/v1)',
    ]);
  });

  it('rejects a KafkaConnector with a wrong-typed field', () => {
    const errors = validator.validate({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaConnector',
      metadata: {
        name: 'orders-cdc',
        labels: { 'strimzi.io/cluster': 'connect' },
      },
      spec: {
        class: 'io.debezium.connector.postgresql.PostgresConnector',
        tasksMax: 'one',
        config: { 'database.hostname': 'postgres' },
      },
    });
    expect(errors).toEqual([
      'KafkaConnector/orders-cdc: .spec.tasksMax: must be integer',
    ]);
  });

  it('rejects an unknown field in a Kafka spec', () => {
    const errors = validator.validate({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'Kafka',
      metadata: { name: 'lambda' },
      spec: {
        kafka: {
          listeners: [
            { name: 'plain', port: 9092, type: 'internal', tls: false },
          ],
        },
        entityOperator: { topicOperator: {} },
        zookeeper: { replicas: 1 },
      },
    });
    expect(errors).toContain(
      'Kafka/lambda: .spec.zookeeper: unknown field "zookeeper"',
    );
  });

  it('rejects an unknown kind of a vendored group and unknown metadata fields', () => {
    expect(
      validator.validate({
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'KafkaBridge',
        metadata: { name: 'b' },
      }),
    ).toEqual([
      'KafkaBridge/b: no CRD of kind KafkaBridge in group kafka.strimzi.io is vendored (kinds: Kafka, KafkaConnect, KafkaTopic, KafkaNodePool, KafkaConnector)',
    ]);
    const topic: any = kafkaTopic();
    topic.metadata.label = { a: 'b' };
    expect(validator.validate(topic)).toEqual([
      'KafkaTopic/kafka/orders.cdc: .metadata.label: unknown field "label"',
    ]);
  });

  it('accepts realistic objects of the vendored CRDs and built-in kinds', () => {
    const docs = yaml.parseAllDocuments(VALID_RESOURCES).map(d => d.toJS());
    expect(docs.length).toBe(13);
    expect(docs.flatMap(doc => validator.validate(doc))).toEqual([]);
  });

  it('compiles every served version of every vendored CRD', () => {
    for (const kind of validator.crdKinds()) {
      const [apiVersion, k] = kind.split(' ');
      const errors = validator.validate({
        apiVersion,
        kind: k,
        metadata: { name: 'x' },
      });
      // Only `required` errors of the (empty) object, never a schema problem.
      for (const e of errors) {
        expect(e).toMatch(/must have required property|must NOT have fewer/);
      }
    }
    expect(loadCrds().length).toBe(13);
    expect([...untranslatablePatterns]).toEqual([]);
  });

  it('validates the documents of parsed files', () => {
    expect(
      validateManifestFiles(validator, [
        {
          path: 'a.yaml',
          docs: [kafkaTopic(), { not: 'k8s' }, kafkaTopic('v1')],
        },
      ]),
    ).toEqual([
      'a.yaml#2: KafkaTopic/kafka/orders.cdc: v1 KafkaTopic is neither a Kubernetes 1.36 built-in kind nor a kind of the vendored CRDs (groups: bitnami.com, external-secrets.io, kafka.strimzi.io, monitoring.coreos.com, sparkoperator.k8s.io)',
    ]);
  });

  it('formats JSON paths', () => {
    expect(jsonPath('/spec/containers/0', 'x')).toBe('.spec.containers[0].x');
    expect(jsonPath('/metadata/labels/app.kubernetes.io~1name')).toBe(
      '.metadata.labels["app.kubernetes.io/name"]',
    );
    expect(jsonPath('')).toBe('.');
  });
});
