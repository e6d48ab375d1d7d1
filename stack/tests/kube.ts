// Requests to the stack's Kubernetes API server with its kubeconfig (the
// admin token), for the stack's integration tests.
import fs from 'node:fs';
import https from 'node:https';

const kubeconfig = () =>
  JSON.parse(fs.readFileSync(process.env.LP_KUBECONFIG!, 'utf8'));

/** JSON bodies parsed; others (a pod's log) as text. */
const parse = (text: string) => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** One authenticated request to the API server with the stack's kubeconfig. */
export function api(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: any }> {
  const config = kubeconfig();
  const server = new URL(config.clusters[0].cluster.server);
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      {
        host: server.hostname,
        port: server.port,
        path,
        method,
        ca: fs.readFileSync(
          config.clusters[0].cluster['certificate-authority'],
        ),
        headers: {
          Authorization: `Bearer ${config.users[0].user.token}`,
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': contentType } : {}),
        },
      },
      res => {
        let text = '';
        res.on('data', c => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            body: text ? parse(text) : undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export const apply = (path: string, object: unknown) =>
  api(
    'PATCH',
    `${path}?fieldManager=stack-test&force=true`,
    object,
    'application/apply-patch+yaml',
  );
