// The generated pipeline's pinned versions, read from -common's version
// matrix: the stack runs the same Spark, connectors and drivers as the
// pipeline it tests, and never writes a version down twice.
//
// versions.ts is plain TypeScript without imports, so Node (22.18+) loads it
// by stripping its types. Node warns that -common's package.json does not
// declare a module type; that warning alone is dropped.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18))
  throw new Error(
    `the stack reads -common's versions.ts, which needs Node 22.18 or later (type stripping); this is ${process.version}: run it through stack/lp-stack, which installs that Node`,
  );

const [printWarning] = process.listeners('warning');
if (printWarning) {
  process.removeListener('warning', printWarning);
  process.on('warning', warning => {
    if (warning.code !== 'MODULE_TYPELESS_PACKAGE_JSON') printWarning(warning);
  });
}

const matrix = await import(
  new URL(
    '../../plugins/lambda-pipeline-common/src/versions/versions.ts',
    import.meta.url,
  ).href
);

export const {
  VERSIONS,
  DBT_IMAGE_PYTHON,
  LOCAL_REGISTRY,
  SPARK_JOB_ARTIFACTS,
  SPARK_JOB_JARS,
  SPARK_JOB_PYTHON,
  sparkJobsPom,
} = matrix;
