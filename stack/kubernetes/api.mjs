// A minimal client for the stack's own bootstrap (no dependency on a
// Kubernetes library): authenticated HTTPS requests to the API server and
// server-side apply of the few kinds the stack creates itself.
import fs from 'node:fs';
import https from 'node:https';

/** One request; resolves with the status and the parsed JSON body (if any). */
export function apiRequest(client, method, path, body, contentType) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, client.url);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      url,
      {
        method,
        ca: fs.existsSync(client.caFile)
          ? fs.readFileSync(client.caFile)
          : undefined,
        headers: {
          Authorization: `Bearer ${client.token}`,
          Accept: 'application/json',
          ...(payload
            ? {
                'Content-Type': contentType ?? 'application/json',
                'Content-Length': Buffer.byteLength(payload),
              }
            : {}),
        },
        timeout: 30_000,
      },
      res => {
        const chunks = [];
        res.on('data', chunk => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode, body: parsed });
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${url}: timed out`)),
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

const namespaced = (prefix, plural) => o =>
  `${prefix}/namespaces/${o.metadata.namespace}/${plural}/${o.metadata.name}`;

/** REST paths of the kinds the stack applies itself. */
const PATHS = {
  'v1/Node': o => `/api/v1/nodes/${o.metadata.name}`,
  'v1/Namespace': o => `/api/v1/namespaces/${o.metadata.name}`,
  'v1/ConfigMap': namespaced('/api/v1', 'configmaps'),
  'v1/Service': namespaced('/api/v1', 'services'),
  'v1/ServiceAccount': namespaced('/api/v1', 'serviceaccounts'),
  'apps/v1/Deployment': namespaced('/apis/apps/v1', 'deployments'),
  'rbac.authorization.k8s.io/v1/ClusterRole': o =>
    `/apis/rbac.authorization.k8s.io/v1/clusterroles/${o.metadata.name}`,
  'rbac.authorization.k8s.io/v1/Role': namespaced(
    '/apis/rbac.authorization.k8s.io/v1',
    'roles',
  ),
  'rbac.authorization.k8s.io/v1/RoleBinding': namespaced(
    '/apis/rbac.authorization.k8s.io/v1',
    'rolebindings',
  ),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': o =>
    `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${o.metadata.name}`,
  'storage.k8s.io/v1/StorageClass': o =>
    `/apis/storage.k8s.io/v1/storageclasses/${o.metadata.name}`,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': o =>
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${o.metadata.name}`,
};

/** Server-side apply as the field manager `lp-stack`; throws with the server's message. */
export async function applyObject(client, object) {
  const pathOf = PATHS[`${object.apiVersion}/${object.kind}`];
  if (!pathOf) throw new Error(`the stack cannot apply ${object.kind} objects`);
  const res = await apiRequest(
    client,
    'PATCH',
    `${pathOf(object)}?fieldManager=lp-stack&force=true`,
    object,
    'application/apply-patch+yaml',
  );
  if (res.status >= 300) {
    throw new Error(
      `applying ${object.kind} ${object.metadata.name} failed (HTTP ${
        res.status
      }): ${res.body?.message ?? res.body}`,
    );
  }
  return res.body;
}

/** Polls `check` until it returns true; errors count as "not yet". */
export async function waitFor(what, timeoutMs, check) {
  const started = Date.now();
  let last;
  for (;;) {
    try {
      if (await check()) return;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `${what} is not ready after ${timeoutMs / 1000} s${
          last ? ` (last error: ${last.message})` : ''
        }`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}
