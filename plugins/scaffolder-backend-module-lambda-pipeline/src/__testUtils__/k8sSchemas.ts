import fs from 'fs';
import os from 'os';
import path from 'path';
import { ensureCachedDir, lpCacheDir, run } from './cache';

/**
 * Strict JSON Schemas (draft 2020-12) of the Kubernetes 1.36 built-in kinds,
 * from the PyPI wheel of kubernetes-validate: Kubernetes 1.36 is what the
 * pinned kind node image (kindest/node:v1.36.1) runs.
 */
export const KUBERNETES_VALIDATE_VERSION = '1.37.0';
const WHEEL_DIR =
  'kubernetes_validate/kubernetes-json-schema/v1.36.0-local-strict/';

/** `<cache>/k8s-schemas/1.36.0-strict`. */
export function k8sSchemaDir(): string {
  return path.join(lpCacheDir(), 'k8s-schemas', '1.36.0-strict');
}

const EXTRACT = `
import sys, zipfile
wheel, prefix, out = sys.argv[1:4]
n = 0
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and name.endswith('.json'):
            rel = name[len(prefix):]
            if '/' in rel:
                continue
            with open(out + '/' + rel, 'wb') as f:
                f.write(z.read(name))
            n += 1
print(n)
`;

/**
 * Returns the folder of the schemas, downloading the wheel with pip and
 * extracting only that folder the first time (atomically; later calls are a
 * stat). Throws when pip cannot fetch it: these checks are never skipped.
 */
export function ensureK8sSchemas(): string {
  const python = process.env.PYTHON || 'python3';
  return ensureCachedDir(
    k8sSchemaDir(),
    'Kubernetes 1.36 strict JSON schemas',
    tmp => {
      const download = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-k8s-wheel-'));
      try {
        run(
          python,
          [
            '-m',
            'pip',
            'download',
            '--no-deps',
            '--only-binary=:all:',
            '--disable-pip-version-check',
            '--quiet',
            `kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}`,
            '-d',
            download,
          ],
          `pip could not download kubernetes-validate==${KUBERNETES_VALIDATE_VERSION} from PyPI (needed for the Kubernetes manifest checks; set PYTHON to another interpreter with pip if '${python}' has none)`,
        );
        const wheel = fs
          .readdirSync(download)
          .find(name => name.endsWith('.whl'));
        if (!wheel) {
          throw new Error(
            `pip download of kubernetes-validate==${KUBERNETES_VALIDATE_VERSION} produced no wheel in ${download}`,
          );
        }
        const count = Number(
          run(
            python,
            ['-c', EXTRACT, path.join(download, wheel), WHEEL_DIR, tmp],
            `could not extract ${WHEEL_DIR} from ${wheel}`,
          ).trim(),
        );
        for (const required of [
          '_definitions.json',
          'deployment-apps-v1.json',
        ]) {
          if (!fs.existsSync(path.join(tmp, required))) {
            throw new Error(
              `${wheel} has no ${WHEEL_DIR}${required} (extracted ${count} files)`,
            );
          }
        }
      } finally {
        fs.rmSync(download, { recursive: true, force: true });
      }
    },
    `pip download kubernetes-validate==${KUBERNETES_VALIDATE_VERSION} (22 MB wheel from PyPI), extracting ${WHEEL_DIR}`,
  );
}

export type GroupVersionKind = { group: string; version: string; kind: string };

export function parseApiVersion(apiVersion: string): {
  group: string;
  version: string;
} {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : {
        group: apiVersion.slice(0, slash),
        version: apiVersion.slice(slash + 1),
      };
}

/**
 * The schema of a built-in kind, or undefined when Kubernetes 1.36 has no
 * such group/version/kind. Files are named `<kind>[-<first label of the
 * group>]-<version>.json`; the file's `x-kubernetes-group-version-kind` is
 * checked, so `networking.k8s.io` cannot be mistaken for another
 * `networking.*` group.
 */
export function builtinKindSchema(
  dir: string,
  gvk: GroupVersionKind,
): Record<string, unknown> | undefined {
  const groupLabel = gvk.group ? `-${gvk.group.split('.')[0]}` : '';
  const file = path.join(
    dir,
    `${gvk.kind.toLowerCase()}${groupLabel}-${gvk.version}.json`,
  );
  if (!fs.existsSync(file)) {
    return undefined;
  }
  const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
  const declared: GroupVersionKind[] =
    schema['x-kubernetes-group-version-kind'] ?? [];
  return declared.some(
    d =>
      d.group === gvk.group && d.version === gvk.version && d.kind === gvk.kind,
  )
    ? schema
    : undefined;
}

/** `_definitions.json` (its `$id` is https://kubernetes.io/api/_definitions.json). */
export function k8sDefinitions(dir: string): Record<string, unknown> {
  return JSON.parse(
    fs.readFileSync(path.join(dir, '_definitions.json'), 'utf8'),
  );
}

export const OBJECT_META_REF =
  'https://kubernetes.io/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
