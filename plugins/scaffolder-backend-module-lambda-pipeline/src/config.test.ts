import { mockServices } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import os from 'os';
import path from 'path';
import {
  DEFAULT_DEPLOY_CONFIG,
  readKubernetesClusterConfig,
  readKubernetesDeployConfig,
} from './config';

const cluster = (c: JsonObject) =>
  mockServices.rootConfig({
    data: {
      lambdaPipelines: {
        kubernetes: { cluster: { name: 'kind-lambda', ...c } },
      },
    },
  });

describe('readKubernetesClusterConfig', () => {
  it('is undefined without a cluster, and resolves a kubeconfig path (~ included)', () => {
    expect(
      readKubernetesClusterConfig(mockServices.rootConfig({ data: {} })),
    ).toBeUndefined();
    expect(
      readKubernetesClusterConfig(
        cluster({ kubeconfigPath: '~/.kube/config', context: 'kind-lambda' }),
      ),
    ).toMatchObject({
      kubeconfigPath: path.join(os.homedir(), '.kube/config'),
      context: 'kind-lambda',
    });
  });

  it('names the key of what is missing, contradictory or malformed', () => {
    expect(() => readKubernetesClusterConfig(cluster({}))).toThrow(
      /needs credentials: set lambdaPipelines\.kubernetes\.cluster\.kubeconfigPath/,
    );
    expect(() =>
      readKubernetesClusterConfig(
        cluster({
          kubeconfigPath: 'k',
          url: 'https://x:6443',
          serviceAccountToken: 't',
        }),
      ),
    ).toThrow(
      /set either lambdaPipelines\.kubernetes\.cluster\.kubeconfigPath or lambdaPipelines\.kubernetes\.cluster\.url \+ lambdaPipelines\.kubernetes\.cluster\.serviceAccountToken, not both/,
    );
    expect(() =>
      readKubernetesClusterConfig(
        cluster({ url: '127.0.0.1:6443', serviceAccountToken: 't' }),
      ),
    ).toThrow(
      "lambdaPipelines.kubernetes.cluster.url '127.0.0.1:6443' is not a URL such as https://127.0.0.1:6443.",
    );
    expect(() =>
      readKubernetesClusterConfig(
        cluster({ kubeconfigPath: 'k', registry: 'http://localhost:5001' }),
      ),
    ).toThrow(
      "lambdaPipelines.kubernetes.cluster.registry 'http://localhost:5001' must be host[:port], e.g. localhost:5001.",
    );
  });
});

describe('readKubernetesDeployConfig', () => {
  it('has defaults and takes overrides, per kind too', () => {
    expect(
      readKubernetesDeployConfig(mockServices.rootConfig({ data: {} })),
    ).toEqual(DEFAULT_DEPLOY_CONFIG);
    const config = readKubernetesDeployConfig(
      mockServices.rootConfig({
        data: {
          lambdaPipelines: {
            kubernetes: {
              kustomizeCommand: '~/bin/kustomize',
              deploy: {
                waitTimeoutSeconds: 60,
                waitTimeoutSecondsByKind: { Kafka: 1200 },
                progressIntervalSeconds: 2,
              },
            },
          },
        },
      }),
    );
    expect(config).toEqual({
      fieldManager: 'lambda-pipelines',
      waitTimeoutSeconds: 60,
      waitTimeoutSecondsByKind: { KafkaConnect: 1800, Kafka: 1200 },
      progressIntervalSeconds: 2,
      kustomizeCommand: path.join(os.homedir(), 'bin/kustomize'),
    });
  });

  it('rejects values that cannot work, naming the key', () => {
    const deploy = (d: JsonObject) =>
      readKubernetesDeployConfig(
        mockServices.rootConfig({
          data: { lambdaPipelines: { kubernetes: { deploy: d } } },
        }),
      );
    expect(() => deploy({ waitTimeoutSeconds: 0 })).toThrow(
      'lambdaPipelines.kubernetes.deploy.waitTimeoutSeconds must be a positive number of seconds; got 0.',
    );
    expect(() => deploy({ waitTimeoutSecondsByKind: { Kafka: -1 } })).toThrow(
      /waitTimeoutSecondsByKind\.Kafka must be a positive number/,
    );
    expect(() => deploy({ fieldManager: 'has space' })).toThrow(
      /fieldManager must be 1-128 printable characters without spaces/,
    );
  });
});
