// The runtime of the generated DAG repository: Apache Airflow 3.2.2 with the
// providers the DAGs import (cncf-kubernetes for the Spark and pod operators,
// standard, common-sql), pinned in stack/airflow/requirements.lock (pip
// freeze; the official constraints file is not reachable), plus pytest for
// the repository's own DAG integrity test (stack/airflow/test-requirements.lock).
// Nothing runs: tests parse DAG folders with the Airflow CLI and DagBag.
import path from 'node:path';
import { REPO_ROOT, installLockedVenv, run, venvBin } from '../lib/context.mjs';

const AIRFLOW_VERSION = '3.2.2';
const LOCK = path.join(REPO_ROOT, 'stack/airflow/requirements.lock');
const TEST_LOCK = path.join(REPO_ROOT, 'stack/airflow/test-requirements.lock');

export default {
  name: 'airflow',
  // Bump the suffix when a lock changes, so installs refresh.
  version: `${AIRFLOW_VERSION}-2`,
  description: `Apache Airflow ${AIRFLOW_VERSION} + cncf-kubernetes, standard and common-sql providers + pytest (runtime of the generated DAGs)`,
  dependsOn: [],
  runtime: true,

  async install(ctx) {
    // Every pin is in the locks, so nothing is resolved here.
    installLockedVenv(ctx, [
      [
        LOCK,
        'Airflow from PyPI (pinned in stack/airflow/requirements.lock, ~440 MB)',
      ],
      [TEST_LOCK, 'pytest (stack/airflow/test-requirements.lock)'],
    ]);
  },

  async check(ctx) {
    // Imports what the DAGs and the integrity test use; `airflow version`
    // would write an airflow.cfg into the caller's AIRFLOW_HOME.
    run(venvBin(ctx, 'python'), [
      '-c',
      [
        'import pytest',
        'from airflow.sdk import dag, task, DeadlineAlert',
        'from airflow.dag_processing.dagbag import DagBag',
        'from airflow.providers.cncf.kubernetes.operators.spark_kubernetes import SparkKubernetesOperator',
        'from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator',
      ].join('\n'),
    ]);
  },

  env(ctx) {
    return {
      LP_AIRFLOW_PYTHON: venvBin(ctx, 'python'),
      LP_AIRFLOW_BIN: venvBin(ctx, 'airflow'),
      LP_AIRFLOW_PYTEST: venvBin(ctx, 'pytest'),
    };
  },
};
