import { validateKindConfig } from './kindConfig';

const config = () => ({
  kind: 'Cluster',
  apiVersion: 'kind.x-k8s.io/v1alpha4',
  name: 'lambda',
  networking: { apiServerAddress: '127.0.0.1', apiServerPort: 6443 },
  featureGates: { InPlacePodVerticalScaling: true },
  nodes: [
    {
      role: 'control-plane',
      image: 'kindest/node:v1.36.1',
      labels: { 'ingress-ready': 'true' },
      kubeadmConfigPatches: ['kind: InitConfiguration\n'],
      extraPortMappings: [
        { containerPort: 30080, hostPort: 8080, protocol: 'tcp' },
        { containerPort: 30092, hostPort: 9092, listenAddress: '127.0.0.1' },
      ],
      extraMounts: [
        { hostPath: '/tmp/data', containerPath: '/data', propagation: 'None' },
      ],
    },
    { role: 'worker' },
  ],
});

describe('validateKindConfig', () => {
  it('accepts a valid config (protocol is upper-cased like kind does)', () => {
    expect(validateKindConfig(config())).toEqual([]);
  });

  it('checks apiVersion and kind', () => {
    expect(
      validateKindConfig({
        ...config(),
        apiVersion: 'kind.sigs.k8s.io/v1alpha3',
        kind: 'Config',
      }),
    ).toEqual([
      '.apiVersion: must be kind.x-k8s.io/v1alpha4, got "kind.sigs.k8s.io/v1alpha3"',
      '.kind: must be Cluster, got "Config"',
    ]);
  });

  it('rejects unknown fields at every level, like strict decoding', () => {
    const c: any = config();
    c.networking.podSubnett = '10.0.0.0/16';
    c.nodes[0].extraPortMappings[0].hostport = 1;
    c.nodez = [];
    expect(validateKindConfig(c)).toEqual([
      '.networking.podSubnett: unknown field "podSubnett" in Networking',
      '.nodes[0].extraPortMappings[0].hostport: unknown field "hostport" in PortMapping',
      '.nodez: unknown field "nodez" in Cluster',
    ]);
  });

  it('checks enum values, Go types and ports', () => {
    const c: any = config();
    c.nodes[0].extraPortMappings[0].protocol = 'HTTP';
    c.nodes[0].extraMounts[0].propagation = 'none';
    c.nodes[1].role = 'master';
    c.networking.apiServerPort = '6443';
    c.networking.disableDefaultCNI = 'yes';
    c.nodes[1].extraPortMappings = [
      { containerPort: 70000, hostPort: 9092, listenAddress: '127.0.0.1' },
    ];
    expect(validateKindConfig(c)).toEqual([
      '.networking.apiServerPort: must be a 32-bit integer, got "6443"',
      '.networking.disableDefaultCNI: must be a boolean, got string',
      '.nodes[0].extraPortMappings[0].protocol: must be one of TCP, UDP, SCTP, got "HTTP"',
      '.nodes[0].extraMounts[0].propagation: must be one of None, HostToContainer, Bidirectional, got "none"',
      '.nodes[1].role: must be one of control-plane, worker, got "master"',
      '.nodes[1].extraPortMappings[0].containerPort: must be between -1 and 65535, got 70000',
      '.nodes[1].extraPortMappings[0].hostPort: 127.0.0.1:9092/TCP is already mapped by .nodes[0].extraPortMappings[1]',
    ]);
  });

  it('needs a control-plane node', () => {
    expect(
      validateKindConfig({ ...config(), nodes: [{ role: 'worker' }] }),
    ).toEqual(['.nodes: at least one node must have role control-plane']);
  });
});
