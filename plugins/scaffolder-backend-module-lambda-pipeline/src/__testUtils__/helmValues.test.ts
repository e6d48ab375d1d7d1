import {
  unknownValueKeys,
  upstreamValuesYaml,
  validateHelmValues,
} from './helmValues';

describe('validateHelmValues (airflow)', () => {
  const good = {
    executor: 'KubernetesExecutor',
    defaultAirflowTag: '3.2.2',
    airflowVersion: '3.2.2',
    dags: {
      gitSync: {
        enabled: true,
        repo: 'https://github.com/example/orders-dags.git',
        branch: 'main',
        subPath: 'dags',
        period: '60s',
        credentialsSecret: 'git-sync',
      },
    },
    data: { metadataSecretName: 'airflow-database' },
    postgresql: { enabled: false },
    apiSecretKeySecretName: 'airflow-api',
    env: [{ name: 'AIRFLOW__CORE__LOAD_EXAMPLES', value: 'False' }],
  };

  it('accepts values the chart schema allows', () => {
    expect(validateHelmValues(good, 'airflow')).toEqual([]);
  });

  it('rejects a value the schema does not allow', () => {
    const errors = validateHelmValues(
      { ...good, executor: 'celery' },
      'airflow',
    );
    expect(errors).toEqual([
      expect.stringMatching(/^\.executor: must match pattern/),
    ]);
  });

  it('rejects wrong types and unknown nested keys', () => {
    expect(
      validateHelmValues(
        {
          ...good,
          postgresql: { enabled: 'no' },
          dags: { gitSync: { ...good.dags.gitSync, repoo: 'x' } },
        },
        'airflow',
      ),
    ).toEqual(
      expect.arrayContaining([
        '.postgresql.enabled: must be boolean',
        '.dags.gitSync.repoo: unknown field "repoo"',
      ]),
    );
  });

  it('rejects an unknown top-level key, which Helm would ignore', () => {
    expect(validateHelmValues({ ...good, exectuor: 'x' }, 'airflow')).toEqual([
      '.exectuor: not a value of the chart (values.schema.json has no such top-level key)',
    ]);
  });
});

describe('unknownValueKeys', () => {
  const defaults = `
replicas: 1
image: { repository: x, tag: "" }
podAnnotations: {}
commonLabels: {}
hostUsers: null
controller:
  logLevel: info
  resources: { limits: { cpu: 100m } }
  securityContext: { runAsNonRoot: true }
  tolerations: []
`;

  it('reports keys the upstream defaults lack, recursively', () => {
    expect(
      unknownValueKeys(
        {
          replicas: 2,
          replica: 2,
          image: { repository: 'y', tagg: '1' },
          controller: { logLevel: 'debug', loglevel: 'x' },
        },
        defaults,
      ),
    ).toEqual([
      'replica: not a value of the chart',
      'image.tagg: not a value of the chart',
      'controller.loglevel: not a value of the chart',
    ]);
  });

  it('treats empty maps, nulls and free-form maps as open', () => {
    expect(
      unknownValueKeys(
        {
          podAnnotations: { 'a/b': 'c' },
          commonLabels: { team: 'data' },
          hostUsers: { anything: true },
          controller: {
            resources: { requests: { memory: '1Gi' } },
            securityContext: { runAsUser: 185 },
            tolerations: [{ key: 'x' }],
          },
        },
        defaults,
      ),
    ).toEqual([]);
  });

  it('reports a map where upstream has a scalar', () => {
    expect(unknownValueKeys({ replicas: { min: 1 } }, defaults)).toEqual([
      "replicas: a map, but the chart's default is 1",
    ]);
  });

  it('checks spark-operator values against the vendored defaults', () => {
    expect(upstreamValuesYaml('spark-operator')).toContain('controller:');
    expect(
      validateHelmValues(
        {
          controller: {
            replicas: 1,
            workers: 4,
            resources: { limits: { memory: '300Mi' } },
            podAnnotations: { a: 'b' },
          },
          webhook: { enable: true, port: 9443 },
          spark: { jobNamespaces: ['spark'] },
        },
        'spark-operator',
      ),
    ).toEqual(['controller.podAnnotations: not a value of the chart']);
  });
});
