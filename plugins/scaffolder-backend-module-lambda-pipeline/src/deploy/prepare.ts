import {
  LoggerService,
  resolveSafeChildPath,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { isDnsLabel } from '@internal/backstage-plugin-lambda-pipeline-common';
import { KubernetesDeployConfig } from '../config';
import { loadManifests, Manifest } from './manifests';
import { SecretRedactor } from './secrets';

/** Validates the shared inputs of the Kubernetes actions; returns the absolute manifests directory. */
export function validateDeployInputs(
  workspacePath: string,
  input: { manifestsPath: string; namespace?: string },
): string {
  if (input.namespace !== undefined && !isDnsLabel(input.namespace)) {
    throw new InputError(
      `namespace '${input.namespace}' is not a valid Kubernetes namespace: use lowercase letters, digits and '-', start with a letter, at most 63 characters.`,
    );
  }
  try {
    return resolveSafeChildPath(workspacePath, input.manifestsPath);
  } catch {
    throw new InputError(
      `manifestsPath '${input.manifestsPath}' must be a directory inside the task workspace (e.g. 'platform/deploy/overlays/kind').`,
    );
  }
}

/** The manifests and a redactor for the Secrets among them; the logger it returns redacts. */
export async function readManifests(
  dir: string,
  manifestsPath: string,
  deployConfig: KubernetesDeployConfig,
  logger: LoggerService,
  signal?: AbortSignal,
): Promise<{
  manifests: Manifest[];
  redactor: SecretRedactor;
  logger: LoggerService;
}> {
  let manifests: Manifest[];
  try {
    manifests = await loadManifests(dir, {
      kustomizeCommand: deployConfig.kustomizeCommand,
      signal,
    });
  } catch (error) {
    // Nothing is known yet about which values are secret: say only where it failed.
    throw new InputError(
      `manifestsPath '${manifestsPath}': ${(error as Error).message}`,
    );
  }
  const redactor = SecretRedactor.fromObjects(manifests.map(m => m.object));
  return { manifests, redactor, logger: redactor.wrap(logger) };
}
