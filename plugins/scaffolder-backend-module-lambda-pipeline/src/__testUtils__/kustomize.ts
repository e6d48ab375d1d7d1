import fs from 'fs';
import path from 'path';
import { ensureCachedDir, lpCacheDir, run } from './cache';

/**
 * Pinned kustomize, built from the Go module proxy. v5.8.3 (the newest v5 on
 * the proxy) requires Go >= 1.27; v5.8.2 builds with Go 1.26.
 */
export const KUSTOMIZE_VERSION = 'v5.8.2';
const KUSTOMIZE_MODULE = 'sigs.k8s.io/kustomize/kustomize/v5';

/** `<cache>/kustomize/<version>/kustomize`, installed on first use. */
export function ensureKustomize(): string {
  const dir = ensureCachedDir(
    path.join(lpCacheDir(), 'kustomize', KUSTOMIZE_VERSION),
    `kustomize ${KUSTOMIZE_VERSION}`,
    tmp => {
      const go = process.env.GO || 'go';
      run(
        go,
        ['install', `${KUSTOMIZE_MODULE}@${KUSTOMIZE_VERSION}`],
        `could not build kustomize ${KUSTOMIZE_VERSION} from the Go module proxy (needs Go >= 1.26 on PATH, or GO=/path/to/go)`,
        { env: { ...process.env, GOFLAGS: '-mod=mod', GOBIN: tmp } },
      );
      if (!fs.existsSync(path.join(tmp, 'kustomize'))) {
        throw new Error(`go install left no kustomize binary in ${tmp}`);
      }
    },
    `go install ${KUSTOMIZE_MODULE}@${KUSTOMIZE_VERSION}; about a minute when the Go caches are cold`,
  );
  return path.join(dir, 'kustomize');
}

/** The YAML stream `kustomize build <dir>` prints; throws with its stderr. */
export function kustomizeBuild(dir: string, extraArgs: string[] = []): string {
  return run(
    ensureKustomize(),
    ['build', dir, ...extraArgs],
    `kustomize build ${dir} failed`,
  );
}
