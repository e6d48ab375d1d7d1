import type { LambdaPipelineInput, SourceTable } from './schema';
import { PIPELINE_SPEC_API_VERSION, PIPELINE_SPEC_KIND } from './schema';

/**
 * The values of the "Create pipeline" form (templates/lambda-pipeline), flat
 * as the scaffolder hands them over. `specFromForm` is the one place that
 * turns them into a pipeline spec; a test keeps this type and the template's
 * parameters in step.
 */
export interface PipelineFormValues {
  name: string;
  description?: string;
  owner: string;
  system?: string;
  database: string;
  tables: Array<{
    schema?: string;
    table: string;
    columns: Array<{ name: string; type: string; nullable?: boolean }>;
    primaryKey: string[];
    eventTimeColumn: string;
    measures?: string[];
  }>;
  targetEventsPerSecond?: number;
  memoryBudget?: string;
  profile?: 'local' | 'cloud';
  lakeSink?: 'iceberg' | 's3-raw';
  region: string;
  bucket: string;
  kmsKeyId: string;
  catalogType: 'glue' | 'rest' | 'jdbc';
  catalogUri?: string;
  snowflakeAccount: string;
  snowflakeWarehouse: string;
  snowflakeDatabase: string;
  snowflakeSchema: string;
  snowflakeRole: string;
  snowflakeUser: string;
  /** Optional: derived from where the DAG repository is published when blank. */
  dagRepoUrl?: string;
  syncPeriodSeconds?: number;
  /** Where the two repositories are published; not part of the spec. */
  publishTo?: 'local' | 'github' | 'gitlab';
  /** RepoUrlPicker value (`host?owner=o&repo=r`) of the platform repo when publishing to a Git host. */
  repoUrl?: string;
  secretPostgres: string;
  secretClickhouse: string;
  secretS3: string;
  secretSnowflake: string;
  secretGitSync: string;
  secretAirflowDatabase: string;
}

/** Every key the form may send; the template test checks its parameters against this. */
export const PIPELINE_FORM_FIELDS: ReadonlyArray<keyof PipelineFormValues> = [
  'name',
  'description',
  'owner',
  'system',
  'database',
  'tables',
  'targetEventsPerSecond',
  'memoryBudget',
  'profile',
  'lakeSink',
  'region',
  'bucket',
  'kmsKeyId',
  'catalogType',
  'catalogUri',
  'snowflakeAccount',
  'snowflakeWarehouse',
  'snowflakeDatabase',
  'snowflakeSchema',
  'snowflakeRole',
  'snowflakeUser',
  'dagRepoUrl',
  'syncPeriodSeconds',
  'publishTo',
  'repoUrl',
  'secretPostgres',
  'secretClickhouse',
  'secretS3',
  'secretSnowflake',
  'secretGitSync',
  'secretAirflowDatabase',
];

/** Blank optional text from a form means "not given". */
const given = (value: string | undefined) =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

/** Drops undefined keys so defaults in the schema apply. */
function compact<T extends Record<string, unknown>>(object: T): T {
  return Object.fromEntries(
    Object.entries(object).filter(([, value]) => value !== undefined),
  ) as T;
}

/** Mount point of the local Git repositories inside the kind node (see the kind config). */
export const KIND_LOCAL_REPOS_PATH = '/lp-repos';

/** Name of the DAG repository published next to the platform repository. */
export function dagRepoName(pipelineName: string): string {
  return `${pipelineName}-dags`;
}

/** Name of the platform repository. */
export function platformRepoName(pipelineName: string): string {
  return `${pipelineName}-platform`;
}

/**
 * Where git-sync pulls the DAGs from when the form leaves it blank: the DAG
 * repository the template publishes, seen from inside the cluster.
 */
export function defaultDagRepoUrl(
  values: PipelineFormValues,
): string | undefined {
  if (!values.name) {
    return undefined;
  }
  if ((values.publishTo ?? 'local') === 'local') {
    return `file://${KIND_LOCAL_REPOS_PATH}/${dagRepoName(values.name)}.git`;
  }
  const match = /^([^?]+)\?(.*)$/.exec(values.repoUrl ?? '');
  const owner = match && new URLSearchParams(match[2]).get('owner');
  return match && owner
    ? `https://${match[1]}/${owner}/${dagRepoName(values.name)}.git`
    : undefined;
}

/**
 * Builds the spec the form describes. It does not validate: pass the result
 * to `validatePipelineSpec`, whose messages name spec fields.
 */
export function specFromForm(values: PipelineFormValues): LambdaPipelineInput {
  const catalogUri = given(values.catalogUri);
  const catalog =
    values.catalogType === 'glue'
      ? { type: 'glue' as const }
      : { type: values.catalogType, uri: catalogUri ?? '' };
  return {
    apiVersion: PIPELINE_SPEC_API_VERSION,
    kind: PIPELINE_SPEC_KIND,
    metadata: compact({
      name: values.name,
      description: given(values.description),
      owner: values.owner,
      system: given(values.system) ?? `system:default/${values.name}`,
    }),
    spec: {
      environment: compact({ profile: values.profile }),
      source: {
        postgres: {
          database: values.database,
          tables: (values.tables ?? []).map(
            table =>
              compact({
                schema: given(table.schema),
                table: table.table,
                columns: table.columns,
                primaryKey: table.primaryKey,
                eventTimeColumn: table.eventTimeColumn,
                measures: table.measures,
              }) as Partial<SourceTable> as SourceTable,
          ),
        },
      },
      throughput: compact({
        targetEventsPerSecond: values.targetEventsPerSecond,
      }),
      resources: compact({ memoryBudget: given(values.memoryBudget) }),
      lake: {
        ...compact({ sink: values.lakeSink }),
        s3: {
          bucket: values.bucket,
          region: values.region,
          kmsKeyId: values.kmsKeyId,
        },
        iceberg: { catalog },
      },
      snowflake: {
        account: values.snowflakeAccount,
        warehouse: values.snowflakeWarehouse,
        database: values.snowflakeDatabase,
        schema: values.snowflakeSchema,
        role: values.snowflakeRole,
        user: values.snowflakeUser,
      },
      dags: compact({
        repoUrl: (given(values.dagRepoUrl) ??
          defaultDagRepoUrl(values)) as string,
        syncPeriodSeconds: values.syncPeriodSeconds,
      }),
      secrets: {
        postgres: values.secretPostgres,
        clickhouse: values.secretClickhouse,
        s3: values.secretS3,
        snowflake: values.secretSnowflake,
        gitSync: values.secretGitSync,
        airflowDatabase: values.secretAirflowDatabase,
      },
    },
  };
}

/** Spec path prefixes and the form field each comes from, most specific first. */
const FORM_FIELD_BY_SPEC_PATH: Array<
  [RegExp, (match: RegExpExecArray) => string]
> = [
  [/^metadata\.name$/, () => 'name'],
  [/^metadata\.description$/, () => 'description'],
  [/^metadata\.owner$/, () => 'owner'],
  [/^metadata\.system$/, () => 'system'],
  [/^spec\.source\.postgres\.database$/, () => 'database'],
  [/^spec\.source\.postgres\.tables(.*)$/, m => `tables${m[1]}`],
  [/^spec\.throughput\.targetEventsPerSecond$/, () => 'targetEventsPerSecond'],
  [/^spec\.resources\.memoryBudget$/, () => 'memoryBudget'],
  [/^spec\.environment\.profile$/, () => 'profile'],
  [/^spec\.lake\.sink$/, () => 'lakeSink'],
  [/^spec\.lake\.s3\.(bucket|region|kmsKeyId)$/, m => m[1]],
  [/^spec\.lake\.iceberg\.catalog\.type$/, () => 'catalogType'],
  [/^spec\.lake\.iceberg\.catalog\.uri$/, () => 'catalogUri'],
  [
    /^spec\.snowflake\.(\w)(\w*)$/,
    m => `snowflake${m[1].toUpperCase()}${m[2]}`,
  ],
  [/^spec\.dags\.repoUrl$/, () => 'dagRepoUrl'],
  [/^spec\.dags\.syncPeriodSeconds$/, () => 'syncPeriodSeconds'],
  [/^spec\.secrets\.(\w)(\w*)$/, m => `secret${m[1].toUpperCase()}${m[2]}`],
];

/** The form field a spec path comes from (`spec.snowflake.role` -> `snowflakeRole`), if any. */
export function formFieldOf(specPath: string): string | undefined {
  for (const [pattern, field] of FORM_FIELD_BY_SPEC_PATH) {
    const match = pattern.exec(specPath);
    if (match) {
      return field(match);
    }
  }
  return undefined;
}
