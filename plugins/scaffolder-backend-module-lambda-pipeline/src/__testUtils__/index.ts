/**
 * Test support (not shipped): renders the "Create pipeline" template through
 * the real scaffolder and validates everything it produces.
 */
export { lpCacheDir, UPSTREAM_SCHEMAS_DIR } from './cache';
export { applyFormDefaults } from './formDefaults';
export {
  LAMBDA_PIPELINE_TEMPLATE_DIR,
  readTemplateDirectory,
  renderTemplate,
  startRenderBackend,
} from './render';
export type {
  RenderBackend,
  RenderBackendConfig,
  RenderOptions,
  RenderResult,
  RenderedStep,
} from './render';
export type { RenderedFile } from './types';
export { findUnrenderedSyntax } from './unrendered';
export { isHelmTemplate, parseYamlFiles } from './yamlFiles';
export type { ParsedYamlFile } from './yamlFiles';
export { ensureK8sSchemas, k8sSchemaDir } from './k8sSchemas';
export { loadCrds, structuralSchema, VENDORED_CRD_FILES } from './crds';
export { loadManifestValidator, validateManifestFiles } from './manifests';
export type { ManifestValidator } from './manifests';
export {
  unknownValueKeys,
  upstreamValuesYaml,
  validateHelmValues,
} from './helmValues';
export type { Chart } from './helmValues';
export { validateKindConfig } from './kindConfig';
export { credentialLiteral, scanForSecrets } from './secrets';
export {
  ensureKustomize,
  KUSTOMIZE_VERSION,
  kustomizeBuild,
} from './kustomize';
