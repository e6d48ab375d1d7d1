// The cluster DNS of the stack node, as kind installs it: CoreDNS as a
// Deployment in kube-system behind the Service kube-dns at 10.96.0.10, with
// kind's Corefile and RBAC. The image is built by stack/components/
// kube-node.mjs (coredns/Containerfile) and imported into the node.
import { CLUSTER_DOMAIN, DNS_SERVICE_IP } from './network.mjs';

const NAMESPACE = 'kube-system';
const LABELS = { 'k8s-app': 'kube-dns' };

/** kind's Corefile (CoreDNS's kubeadm default). */
const COREFILE = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success ${CLUSTER_DOMAIN}
       disable denial ${CLUSTER_DOMAIN}
    }
    loop
    reload
    loadbalance
}
`;

/** The objects, in apply order; `toleration` lets it onto the node. */
export function coreDnsObjects({ image, nodeName, tolerations }) {
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'coredns', namespace: NAMESPACE },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:coredns' },
      rules: [
        {
          apiGroups: [''],
          resources: ['endpoints', 'services', 'pods', 'namespaces'],
          verbs: ['list', 'watch'],
        },
        {
          apiGroups: ['discovery.k8s.io'],
          resources: ['endpointslices'],
          verbs: ['list', 'watch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:coredns' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'system:coredns',
      },
      subjects: [
        { kind: 'ServiceAccount', name: 'coredns', namespace: NAMESPACE },
      ],
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'coredns', namespace: NAMESPACE },
      data: { Corefile: COREFILE },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: NAMESPACE, labels: LABELS },
      spec: {
        replicas: 1,
        selector: { matchLabels: LABELS },
        template: {
          metadata: { labels: LABELS },
          spec: {
            serviceAccountName: 'coredns',
            priorityClassName: 'system-cluster-critical',
            // The real node only (kwok's would "run" it without running it).
            nodeSelector: { 'kubernetes.io/hostname': nodeName },
            tolerations: [
              { key: 'CriticalAddonsOnly', operator: 'Exists' },
              {
                key: 'node-role.kubernetes.io/control-plane',
                effect: 'NoSchedule',
              },
              ...tolerations,
            ],
            // Upstream DNS: the host's resolver, not itself.
            dnsPolicy: 'Default',
            containers: [
              {
                name: 'coredns',
                image,
                imagePullPolicy: 'IfNotPresent',
                args: ['-conf', '/etc/coredns/Corefile'],
                resources: {
                  requests: { cpu: '100m', memory: '70Mi' },
                  limits: { memory: '170Mi' },
                },
                ports: [
                  { name: 'dns', containerPort: 53, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                  { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
                ],
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
                  readOnlyRootFilesystem: true,
                },
                livenessProbe: {
                  httpGet: { path: '/health', port: 8080 },
                  initialDelaySeconds: 10,
                  timeoutSeconds: 5,
                  failureThreshold: 5,
                },
                readinessProbe: {
                  httpGet: { path: '/ready', port: 8181 },
                  periodSeconds: 2,
                },
                volumeMounts: [
                  {
                    name: 'config-volume',
                    mountPath: '/etc/coredns',
                    readOnly: true,
                  },
                ],
              },
            ],
            volumes: [
              {
                name: 'config-volume',
                configMap: {
                  name: 'coredns',
                  items: [{ key: 'Corefile', path: 'Corefile' }],
                },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kube-dns',
        namespace: NAMESPACE,
        labels: { ...LABELS, 'kubernetes.io/name': 'CoreDNS' },
      },
      spec: {
        clusterIP: DNS_SERVICE_IP,
        selector: LABELS,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
          { name: 'metrics', port: 9153, protocol: 'TCP' },
        ],
      },
    },
  ];
}
