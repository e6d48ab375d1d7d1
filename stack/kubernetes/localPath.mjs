// Dynamic volumes on the stack node, as kind provides them: Rancher's
// local-path-provisioner with upstream's manifest (v0.0.33's
// deploy/local-path-storage.yaml), changed only where this node differs:
// the images (built by stack/components/kube-node.mjs), the directory the
// volumes live in (under the node's state directory), and the node's
// taint and name, so the provisioner and its helper pods run on the real
// node. The StorageClass is upstream's `local-path`; it becomes kind's
// default `standard` once kwok's node (whose stages serve `standard`) goes.
const NAMESPACE = 'local-path-storage';
const SERVICE_ACCOUNT = 'local-path-provisioner-service-account';
const ROLE = 'local-path-provisioner-role';
const BINDING = 'local-path-provisioner-bind';
export const STORAGE_CLASS = 'local-path';

const subjects = [
  { kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: NAMESPACE },
];

/** The objects, in apply order. */
export function localPathObjects({
  image,
  helperImage,
  volumesDir,
  nodeName,
  tolerations,
}) {
  const helperPod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'helper-pod' },
    spec: {
      priorityClassName: 'system-node-critical',
      tolerations: [
        {
          key: 'node.kubernetes.io/disk-pressure',
          operator: 'Exists',
          effect: 'NoSchedule',
        },
        ...tolerations,
      ],
      // Debian's sh, mkdir and rm instead of busybox's.
      containers: [
        {
          name: 'helper-pod',
          image: helperImage,
          imagePullPolicy: 'IfNotPresent',
        },
      ],
    },
  };
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: SERVICE_ACCOUNT, namespace: NAMESPACE },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: ROLE, namespace: NAMESPACE },
      rules: [
        {
          apiGroups: [''],
          resources: ['pods'],
          verbs: [
            'get',
            'list',
            'watch',
            'create',
            'patch',
            'update',
            'delete',
          ],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: ROLE },
      rules: [
        {
          apiGroups: [''],
          resources: [
            'nodes',
            'persistentvolumeclaims',
            'configmaps',
            'pods',
            'pods/log',
          ],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: [''],
          resources: ['persistentvolumes'],
          verbs: [
            'get',
            'list',
            'watch',
            'create',
            'patch',
            'update',
            'delete',
          ],
        },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
        {
          apiGroups: ['storage.k8s.io'],
          resources: ['storageclasses'],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: BINDING, namespace: NAMESPACE },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: ROLE,
      },
      subjects,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: BINDING },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: ROLE,
      },
      subjects,
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'local-path-config', namespace: NAMESPACE },
      data: {
        'config.json': JSON.stringify(
          {
            nodePathMap: [
              {
                node: 'DEFAULT_PATH_FOR_NON_LISTED_NODES',
                paths: [volumesDir],
              },
            ],
          },
          null,
          2,
        ),
        setup: 'set -eu\nmkdir -m 0777 -p "$VOL_DIR"\n',
        teardown: 'set -eu\nrm -rf "$VOL_DIR"\n',
        'helperPod.yaml': JSON.stringify(helperPod, null, 2),
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'local-path-provisioner', namespace: NAMESPACE },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'local-path-provisioner' } },
        template: {
          metadata: { labels: { app: 'local-path-provisioner' } },
          spec: {
            serviceAccountName: SERVICE_ACCOUNT,
            nodeSelector: { 'kubernetes.io/hostname': nodeName },
            tolerations,
            containers: [
              {
                name: 'local-path-provisioner',
                image,
                imagePullPolicy: 'IfNotPresent',
                command: [
                  'local-path-provisioner',
                  '--debug',
                  'start',
                  '--config',
                  '/etc/config/config.json',
                ],
                volumeMounts: [
                  { name: 'config-volume', mountPath: '/etc/config/' },
                ],
                env: [
                  {
                    name: 'POD_NAMESPACE',
                    valueFrom: {
                      fieldRef: { fieldPath: 'metadata.namespace' },
                    },
                  },
                  { name: 'CONFIG_MOUNT_PATH', value: '/etc/config/' },
                ],
              },
            ],
            volumes: [
              {
                name: 'config-volume',
                configMap: { name: 'local-path-config' },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: STORAGE_CLASS },
      provisioner: 'rancher.io/local-path',
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Delete',
    },
  ];
}
