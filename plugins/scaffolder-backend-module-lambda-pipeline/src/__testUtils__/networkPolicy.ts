/**
 * An evaluator of Kubernetes NetworkPolicies for ingress, for the tests of
 * the rendered policies: does a policy set admit a connection from a source
 * to a pod on a port? It follows the NetworkPolicy semantics of the
 * Kubernetes API reference for what the template renders: a pod selected by
 * no policy with policyType Ingress admits everything; a selected pod admits
 * a connection when some selecting policy has an ingress rule whose `from`
 * is empty or has a matching peer, and whose `ports` are empty or include
 * the port (TCP). Peers: `podSelector` (matchLabels, same namespace; `{}`
 * matches every pod) and `ipBlock`, which matches any source whose address
 * it covers; `0.0.0.0/0` covers pods too, as the enforcers do in practice.
 */

export type Source = { labels: Record<string, string> } | { outside: true };

type Selector = { matchLabels?: Record<string, string> };
type Peer = { podSelector?: Selector; ipBlock?: { cidr: string } };
export type NetworkPolicyObject = {
  kind: string;
  metadata: { name: string };
  spec: {
    podSelector: Selector;
    policyTypes?: string[];
    ingress?: Array<{
      from?: Peer[];
      ports?: Array<{ port: number | string; protocol?: string }>;
    }>;
  };
};

function selects(
  selector: Selector | undefined,
  labels: Record<string, string>,
): boolean {
  const wanted = selector?.matchLabels ?? {};
  return Object.entries(wanted).every(([k, v]) => labels[k] === String(v));
}

function peerMatches(peer: Peer, source: Source): boolean {
  if (peer.ipBlock) return peer.ipBlock.cidr === '0.0.0.0/0';
  if (peer.podSelector)
    return 'labels' in source && selects(peer.podSelector, source.labels);
  return false;
}

/** Whether `policies` admit a TCP connection from `source` to a pod with `labels` on `port`. */
export function admits(
  policies: NetworkPolicyObject[],
  source: Source,
  labels: Record<string, string>,
  port: number,
): boolean {
  const selecting = policies.filter(
    p =>
      p.kind === 'NetworkPolicy' &&
      (p.spec.policyTypes ?? ['Ingress']).includes('Ingress') &&
      selects(p.spec.podSelector, labels),
  );
  if (selecting.length === 0) return true;
  return selecting.some(p =>
    (p.spec.ingress ?? []).some(
      rule =>
        (!rule.from || rule.from.length === 0
          ? true
          : rule.from.some(peer => peerMatches(peer, source))) &&
        (!rule.ports || rule.ports.length === 0
          ? true
          : rule.ports.some(
              x => Number(x.port) === port && (x.protocol ?? 'TCP') === 'TCP',
            )),
    ),
  );
}
