// The stack cluster's certificates, made with the host's openssl: one CA
// (the API server trusts client certificates it signed, pods trust the API
// server through it), the API server's serving certificate, and client
// certificates for the components that are not admins (the kubelet as
// system:node:<name>, kube-proxy as system:kube-proxy, the API server as the
// kubelet's client). Kept across restarts; a certificate is made again when
// what it is for changes (its subject or names).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const DAYS = '3650';

function openssl(args, cwd) {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.error)
    throw new Error(
      `openssl could not run (${result.error.message}): the stack's Kubernetes makes its certificates with it`,
    );
  if (result.status !== 0)
    throw new Error(`openssl ${args[0]} failed: ${result.stderr.trim()}`);
}

/** The CA's certificate and key in `dir` (made once). */
export function ensureCa(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const cert = path.join(dir, 'ca.crt');
  const key = path.join(dir, 'ca.key');
  if (!fs.existsSync(cert) || !fs.existsSync(key)) {
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        DAYS,
        '-subj',
        '/CN=lp-stack-kubernetes-ca',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      ],
      dir,
    );
    fs.chmodSync(key, 0o600);
  }
  return { cert, key };
}

/**
 * `<dir>/<name>.crt` and `.key`, signed by the CA in `caDir`: for a server
 * (`sans` like `IP:127.0.0.1`, `DNS:localhost`) or a client (`organization`
 * is the Kubernetes group).
 */
export function ensureCert(
  caDir,
  dir,
  name,
  { commonName, organization, sans = [], server = false },
) {
  const ca = ensureCa(caDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  const what = path.join(dir, `${name}.for`);
  const subject = `/CN=${commonName}${
    organization ? `/O=${organization}` : ''
  }`;
  const purpose = JSON.stringify({ subject, sans, server, ca: ca.cert });
  if (
    fs.existsSync(cert) &&
    fs.existsSync(key) &&
    fs.existsSync(what) &&
    fs.readFileSync(what, 'utf8') === purpose
  )
    return { cert, key, ca: ca.cert };
  const extensions = path.join(dir, `${name}.ext`);
  fs.writeFileSync(
    extensions,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${server ? 'serverAuth' : 'clientAuth'}`,
      ...(sans.length ? [`subjectAltName=${sans.join(',')}`] : []),
    ].join('\n'),
  );
  const csr = path.join(dir, `${name}.csr`);
  try {
    openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        csr,
        '-subj',
        subject,
      ],
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        ca.cert,
        '-CAkey',
        ca.key,
        '-CAcreateserial',
        '-days',
        DAYS,
        '-extfile',
        extensions,
        '-out',
        cert,
      ],
      dir,
    );
  } finally {
    fs.rmSync(csr, { force: true });
    fs.rmSync(extensions, { force: true });
  }
  fs.chmodSync(key, 0o600);
  fs.writeFileSync(what, purpose);
  return { cert, key, ca: ca.cert };
}

/** A kubeconfig for one client certificate (JSON is YAML). */
export function writeCertKubeconfig(file, { server, user, cert }) {
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'lp-stack',
        cluster: { server, 'certificate-authority': cert.ca },
      },
    ],
    users: [
      {
        name: user,
        user: { 'client-certificate': cert.cert, 'client-key': cert.key },
      },
    ],
    contexts: [{ name: 'lp-stack', context: { cluster: 'lp-stack', user } }],
    'current-context': 'lp-stack',
  };
  fs.writeFileSync(file, `${JSON.stringify(kubeconfig, null, 2)}\n`, {
    mode: 0o600,
  });
  return file;
}
