// The cluster network of the stack's Kubernetes: one place for the addresses
// the control plane (stack/kubernetes/supervise.mjs) and the node
// (stack/kubernetes/node.mjs) must agree on. kind's defaults where kind has
// one (pod subnet 10.244.0.0/16, service subnet 10.96.0.0/16, DNS at
// 10.96.0.10, cluster domain cluster.local).

/** The node's pods: one /24 of kind's pod subnet, on a bridge of our own. */
export const POD_CIDR = '10.244.0.0/24';
export const CLUSTER_CIDR = '10.244.0.0/16';
/**
 * The bridge's address: the pods' gateway and the node's InternalIP. The API
 * server advertises it (pods reach the API through the `kubernetes` Service
 * and kube-proxy), the kubelet serves on it, and it exists only on this host.
 */
export const NODE_IP = '10.244.0.1';
/** A bridge name of our own (not cni0), so `down` cannot touch anyone else's. */
export const BRIDGE = 'lp-cni0';
export const CNI_NETWORK = 'lp-pods';

export const SERVICE_CIDR = '10.96.0.0/16';
/** The first address of the service range: the `kubernetes` Service. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
export const DNS_SERVICE_IP = '10.96.0.10';
export const CLUSTER_DOMAIN = 'cluster.local';

/** The names the API server's certificate is valid for. */
export const API_SERVER_SANS = [
  'IP:127.0.0.1',
  `IP:${NODE_IP}`,
  `IP:${KUBERNETES_SERVICE_IP}`,
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  `DNS:kubernetes.default.svc.${CLUSTER_DOMAIN}`,
];
