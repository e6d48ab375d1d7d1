// The runtime of the generated dbt project (dags/dbt in the DAG repository):
// dbt-core with the Snowflake adapter (what the pipeline runs) and the DuckDB
// adapter (what tests build the project with, on seed data), pinned in
// stack/dbt/requirements.lock. Nothing runs: tests call the dbt CLI.
import path from 'node:path';
import {
  REPO_ROOT,
  installLockedVenv,
  requireLockPins,
  run,
  venvBin,
} from '../lib/context.mjs';
import { DBT_IMAGE_PYTHON } from '../lib/versions.mjs';

const DBT_VERSION = /^dbt-core==(\S+)$/m.exec(DBT_IMAGE_PYTHON.join('\n'))[1];
const LOCK = path.join(REPO_ROOT, 'stack/dbt/requirements.lock');

export default {
  name: 'dbt',
  // Bump the suffix when the lock changes, so installs refresh.
  version: `${DBT_VERSION}-1`,
  description: `dbt-core ${DBT_VERSION} + dbt-snowflake + dbt-duckdb (runtime of the generated dbt project)`,
  dependsOn: [],
  runtime: true,

  async install(ctx) {
    requireLockPins(
      LOCK,
      DBT_IMAGE_PYTHON,
      "the pipeline's dbt image (-common's DBT_IMAGE_PYTHON)",
    );
    installLockedVenv(ctx, [
      [LOCK, 'dbt from PyPI (pinned in stack/dbt/requirements.lock, ~280 MB)'],
    ]);
  },

  async check(ctx) {
    requireLockPins(
      LOCK,
      DBT_IMAGE_PYTHON,
      "the pipeline's dbt image (-common's DBT_IMAGE_PYTHON)",
    );
    // Imports both adapters; `dbt --version` would ask PyPI for the latest release.
    run(venvBin(ctx, 'python'), [
      '-c',
      'import dbt.adapters.snowflake, dbt.adapters.duckdb, duckdb',
    ]);
  },

  env(ctx) {
    return {
      LP_DBT_BIN: venvBin(ctx, 'dbt'),
      LP_DBT_PYTHON: venvBin(ctx, 'python'),
    };
  },
};
