/**
 * R7.5: a DAG pushed to the DAG repository is live (parsed, its new version
 * visible through Airflow's API) within two minutes in the worst case. The
 * worst case is git-sync's period plus the DAG processor's bundle refresh
 * interval plus the parse; this budget leaves about ten seconds to parse.
 */
export const DAG_LIVE_TARGET_SECONDS = 110;

/** The shortest DAG processor refresh the plan sets (a shorter one only costs CPU). */
export const MIN_DAG_REFRESH_SECONDS = 10;

/** The longest git-sync period that still meets the target, with the shortest refresh. */
export const MAX_GIT_SYNC_PERIOD_SECONDS =
  DAG_LIVE_TARGET_SECONDS - MIN_DAG_REFRESH_SECONDS;
