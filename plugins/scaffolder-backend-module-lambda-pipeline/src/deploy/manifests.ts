import { KubeObject } from '@internal/backstage-plugin-lambda-pipeline-node';
import { InputError } from '@backstage/errors';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';

/** One object of the rendered manifests and where it came from. */
export type Manifest = { object: KubeObject; source: string };

const KUSTOMIZATION_FILES = [
  'kustomization.yaml',
  'kustomization.yml',
  'Kustomization',
];

/** Whether `dir` is a kustomization (built with kustomize) or plain manifests. */
export function isKustomization(dir: string): boolean {
  return KUSTOMIZATION_FILES.some(f => fs.existsSync(path.join(dir, f)));
}

/** `kustomize build <dir>`; fails naming the command and its stderr. */
export function kustomizeBuild(
  dir: string,
  command: string,
  signal?: AbortSignal,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, ['build', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', chunk => out.push(chunk));
    child.stderr.on('data', chunk => err.push(chunk));
    child.on('error', error =>
      reject(
        new InputError(
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? `kustomize is needed to build ${dir} but '${command}' was not found: install kustomize v5 ` +
              `(go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.2) or set lambdaPipelines.kubernetes.kustomizeCommand.`
            : `could not run '${command} build ${dir}': ${error.message}`,
        ),
      ),
    );
    child.on('close', code => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else
        reject(
          new InputError(
            `'${command} build ${dir}' failed (exit ${code}): ${Buffer.concat(
              err,
            )
              .toString('utf8')
              .trim()
              .slice(0, 2000)}`,
          ),
        );
    });
  });
}

/** Every YAML/JSON file under `dir`, sorted, for plain manifest directories. */
function manifestFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(ya?ml|json)$/.test(entry.name)) files.push(p);
    }
  };
  walk(dir);
  return files.sort();
}

/**
 * Parses a multi-document YAML stream into objects, flattening `List`s.
 * Every object needs apiVersion, kind and metadata.name; the error names the
 * source and the document.
 */
export function parseManifests(text: string, source: string): Manifest[] {
  const out: Manifest[] = [];
  const documents = yaml.parseAllDocuments(text);
  documents.forEach((document, index) => {
    const where = `${source}, document ${index + 1}`;
    if (document.errors.length > 0) {
      throw new InputError(
        `${where} is not valid YAML: ${document.errors[0].message}`,
      );
    }
    const value = document.toJSON();
    if (value === null || value === undefined) return;
    const items =
      typeof value.kind === 'string' &&
      value.kind.endsWith('List') &&
      Array.isArray(value.items)
        ? value.items
        : [value];
    for (const item of items) {
      if (typeof item !== 'object' || Array.isArray(item)) {
        throw new InputError(`${where} is not a Kubernetes object`);
      }
      for (const field of ['apiVersion', 'kind'] as const) {
        if (typeof item[field] !== 'string' || !item[field]) {
          throw new InputError(
            `${where} has no ${field}: every object needs apiVersion, kind and metadata.name`,
          );
        }
      }
      if (typeof item.metadata?.name !== 'string' || !item.metadata.name) {
        throw new InputError(
          `${where} (${item.kind}) has no metadata.name; generateName is not supported because a re-run must find the same object`,
        );
      }
      out.push({ object: item as KubeObject, source: where });
    }
  });
  return out;
}

/**
 * The objects of a rendered manifests directory: a kustomization is built
 * with kustomize, anything else is read file by file.
 */
export async function loadManifests(
  dir: string,
  options: { kustomizeCommand: string; signal?: AbortSignal },
): Promise<Manifest[]> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new InputError(`${dir} is not a directory of manifests`);
  }
  if (isKustomization(dir)) {
    const built = await kustomizeBuild(
      dir,
      options.kustomizeCommand,
      options.signal,
    );
    return parseManifests(built, `kustomize build ${path.basename(dir)}`);
  }
  const files = manifestFiles(dir);
  if (files.length === 0) {
    throw new InputError(`${dir} holds no .yaml, .yml or .json manifests`);
  }
  return files.flatMap(file =>
    parseManifests(fs.readFileSync(file, 'utf8'), path.relative(dir, file)),
  );
}
