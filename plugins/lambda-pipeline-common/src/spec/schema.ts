import { MAX_GIT_SYNC_PERIOD_SECONDS } from './limits';
import { z } from 'zod';
import {
  MAX_PIPELINE_NAME_LENGTH,
  isDnsLabel,
  isSqlIdentifier,
  suggestDnsLabel,
} from '../naming/rules';
import { columnTypeProblem } from './columns';
import { secretReferenceProblem, urlHasCredentials } from './secrets';

/**
 * The pipeline spec (`LambdaPipeline`): the one contract every part of the
 * product derives from. The template's planning action produces it, the
 * skeletons render from it, the catalog module turns it into entities and the
 * backend reads it to know what to check.
 *
 * Cross-field rules (keys refer to declared columns, the memory budget fits,
 * derived names are unique) are in `validate.ts`; this file holds the shape,
 * the defaults and the per-field rules.
 */

export const PIPELINE_SPEC_API_VERSION = 'lambda-pipelines.io/v1alpha1';
export const PIPELINE_SPEC_KIND = 'LambdaPipeline';

const dnsName = (what: string, maxLength = 63) =>
  z.string().superRefine((value, ctx) => {
    if (!isDnsLabel(value, maxLength)) {
      ctx.addIssue({
        code: 'custom',
        message: `'${value}' is not a DNS-safe ${what}: use lowercase letters, digits and '-', start with a letter, end with a letter or digit, at most ${maxLength} characters (for example '${suggestDnsLabel(
          value,
          maxLength,
        )}')`,
      });
    }
  });

const sqlIdentifier = (what: string) =>
  z.string().superRefine((value, ctx) => {
    if (!isSqlIdentifier(value)) {
      ctx.addIssue({
        code: 'custom',
        message: `'${value}' is not a valid ${what}: use lowercase letters, digits and '_', starting with a letter or '_', at most 63 characters (quoted identifiers are not supported)`,
      });
    }
  });

/** Snowflake object names are case-insensitive unquoted identifiers. */
const snowflakeIdentifier = (what: string) =>
  z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_$]{0,254}$/,
      `must be an unquoted Snowflake ${what} name (letters, digits, '_' and '$', starting with a letter or '_')`,
    );

const secretRef = (example: string) =>
  z.string().superRefine((value, ctx) => {
    const problem = secretReferenceProblem(value, example);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
    }
  });

const positiveInt = (what: string, max: number) =>
  z
    .number({ error: `${what} must be a number` })
    .int(`${what} must be a whole number`)
    .min(1, `${what} must be at least 1`)
    .max(max, `${what} must be at most ${max}`);

const ENTITY_REF =
  /^([a-z][a-z0-9]*:)?([a-z0-9][-a-z0-9_.]*\/)?[a-zA-Z0-9][-a-zA-Z0-9_.]*$/i;

const entityRef = (what: string, defaultKind: string) =>
  z
    .string()
    .min(1, `${what} is required`)
    .regex(
      ENTITY_REF,
      `must be a catalog entity reference such as '${defaultKind}:default/data-platform' or 'data-platform'`,
    );

/** Memory quantities as Kubernetes writes them: `16Gi`, `12288Mi`. */
export const MEMORY_QUANTITY = /^(\d+(\.\d+)?)(Mi|Gi)$/;

export const columnSchema = z.strictObject({
  name: sqlIdentifier('column name'),
  type: z.string().superRefine((value, ctx) => {
    const problem = columnTypeProblem(value);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
    }
  }),
  nullable: z.boolean().default(true),
});

export const sourceTableSchema = z.strictObject({
  schema: sqlIdentifier('PostgreSQL schema name').default('public'),
  table: sqlIdentifier('PostgreSQL table name'),
  columns: z
    .array(columnSchema)
    .min(
      1,
      'declare the table columns (name and type) so every layer can create its tables',
    ),
  primaryKey: z
    .array(z.string(), {
      error: issue =>
        issue.input === undefined
          ? 'every source table needs a primary key: Debezium uses it as the Kafka message key and both layers deduplicate by it'
          : undefined,
    })
    .min(
      1,
      'every source table needs a primary key: Debezium uses it as the Kafka message key and both layers deduplicate by it',
    ),
  eventTimeColumn: z.string({
    error: issue =>
      issue.input === undefined
        ? 'name the column that holds the event time (a timestamp column): windows and freshness are computed from it'
        : undefined,
  }),
  measures: z.array(z.string()).default([]),
});

const icebergCatalogSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('glue'),
      /** AWS account that owns the Glue catalog; defaults to the caller's. */
      catalogId: z
        .string()
        .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
        .optional(),
    }),
    z.strictObject({
      type: z.literal('rest'),
      uri: z.url({
        error: 'must be the http(s) URL of the Iceberg REST catalog',
      }),
      warehouse: z.string().min(1).optional(),
    }),
    z.strictObject({
      type: z.literal('jdbc'),
      uri: z
        .string()
        .regex(
          /^jdbc:postgresql:\/\/[^\s]+$/,
          "must be a PostgreSQL JDBC URL such as 'jdbc:postgresql://postgres:5432/iceberg_catalog'",
        ),
    }),
  ],
  { error: "catalog type must be 'glue', 'rest' or 'jdbc'" },
);

export const throughputSchema = z
  .strictObject({
    targetEventsPerSecond: z
      .number({ error: 'targetEventsPerSecond must be a number' })
      .int('targetEventsPerSecond must be a whole number')
      .positive(
        'targetEventsPerSecond must be greater than 0; the default target is 20000 events/s',
      )
      .max(2_000_000, 'targetEventsPerSecond must be at most 2,000,000')
      .default(20_000),
  })
  .prefault({});

export const resourcesSchema = z
  .strictObject({
    memoryBudget: z
      .string()
      .regex(
        MEMORY_QUANTITY,
        "memoryBudget must be a Kubernetes memory quantity such as '16Gi' or '12288Mi'",
      )
      .default('16Gi'),
  })
  .prefault({});

export const pipelineSpecSchema = z.strictObject({
  apiVersion: z.literal(PIPELINE_SPEC_API_VERSION, {
    error: `apiVersion must be '${PIPELINE_SPEC_API_VERSION}'`,
  }),
  kind: z.literal(PIPELINE_SPEC_KIND, {
    error: `kind must be '${PIPELINE_SPEC_KIND}'`,
  }),
  metadata: z.strictObject({
    name: dnsName('pipeline name', MAX_PIPELINE_NAME_LENGTH),
    title: z.string().max(100).optional(),
    description: z.string().max(1000).optional(),
    owner: entityRef('owner', 'group'),
    system: entityRef('system', 'system'),
  }),
  spec: z.strictObject({
    environment: z
      .strictObject({
        name: dnsName('environment name', 20).default('dev'),
        profile: z
          .enum(['local', 'cloud'], {
            error:
              "profile must be 'local' (the local stack) or 'cloud' (AWS S3 and Snowflake)",
          })
          .default('cloud'),
        /** Kubernetes namespace; defaults to the pipeline name. */
        namespace: dnsName('Kubernetes namespace').optional(),
      })
      .prefault({}),

    source: z.strictObject({
      postgres: z.strictObject({
        database: sqlIdentifier('PostgreSQL database name'),
        tables: z
          .array(sourceTableSchema)
          .min(1, 'add at least one source table')
          .max(
            50,
            'at most 50 source tables per pipeline; split larger sources into several pipelines',
          ),
      }),
    }),

    kafka: z
      .strictObject({
        /** Partitions per CDC topic; computed from the throughput target when absent. */
        partitions: positiveInt('partitions', 1000).optional(),
        retentionHours: positiveInt('retentionHours', 24 * 365).default(168),
        replicationFactor: positiveInt('replicationFactor', 5).default(1),
      })
      .prefault({}),

    throughput: throughputSchema,

    resources: resourcesSchema,

    speed: z
      .strictObject({
        clickhouse: z
          .strictObject({
            /** Defaults to the pipeline name with '_' for '-'. */
            database: sqlIdentifier('ClickHouse database name').optional(),
          })
          .prefault({}),
        triggerIntervalSeconds: positiveInt(
          'triggerIntervalSeconds',
          300,
        ).default(5),
      })
      .prefault({}),

    lake: z.strictObject({
      sink: z
        .enum(['iceberg', 's3-raw'], {
          error:
            "lake sink must be 'iceberg' (Apache Iceberg Kafka Connect sink) or 's3-raw' (raw landing zone merged into Iceberg by Spark)",
        })
        .default('iceberg'),
      s3: z.strictObject({
        bucket: z
          .string()
          .regex(
            /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
            'must be a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)',
          ),
        region: z
          .string()
          .regex(
            /^[a-z]{2}(-gov)?-[a-z]+-\d$/,
            "must be an AWS region such as 'eu-west-1'",
          ),
        kmsKeyId: z
          .string()
          .regex(
            /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9_-]{1,64})$/,
            'must be a KMS key id, key ARN or alias (SSE-KMS is required for every object the pipeline writes)',
          ),
        prefix: z
          .string()
          .regex(/^[a-zA-Z0-9!_.*'()/-]*$/, 'must be a plain S3 key prefix')
          .optional(),
      }),
      iceberg: z.strictObject({
        catalog: icebergCatalogSchema,
        /** Defaults to the pipeline name with '_' for '-'. */
        namespace: sqlIdentifier('Iceberg namespace').optional(),
        commitIntervalSeconds: positiveInt(
          'commitIntervalSeconds',
          3600,
        ).default(60),
      }),
    }),

    snowflake: z.strictObject({
      account: z
        .string()
        .regex(
          /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
          "must be a Snowflake account identifier such as 'myorg-myaccount'",
        ),
      warehouse: snowflakeIdentifier('warehouse'),
      database: snowflakeIdentifier('database'),
      schema: snowflakeIdentifier('schema'),
      role: snowflakeIdentifier('role'),
      user: snowflakeIdentifier('user'),
    }),

    batch: z
      .strictObject({
        /** Airflow schedule of the batch load: a preset or a 5-field cron expression. */
        schedule: z
          .string()
          .regex(
            /^(@(hourly|daily|weekly)|(\S+\s+){4}\S+)$/,
            "schedule must be '@hourly', '@daily', '@weekly' or a 5-field cron expression",
          )
          .default('@hourly'),
      })
      .prefault({}),

    reconciliation: z
      .strictObject({
        windowMinutes: positiveInt('windowMinutes', 1440)
          .refine(
            minutes => 1440 % minutes === 0,
            'windowMinutes must divide a day evenly (for example 5, 15, 60 or 1440) so windows line up in both layers',
          )
          .default(60),
        allowedLatenessMinutes: z
          .number()
          .int('allowedLatenessMinutes must be a whole number')
          .min(0, 'allowedLatenessMinutes cannot be negative')
          .max(10080, 'allowedLatenessMinutes must be at most a week')
          .default(15),
        /** Relative difference tolerated for windows that are still open. */
        openWindowTolerance: z
          .number()
          .min(0, 'openWindowTolerance cannot be negative')
          .max(0.5, 'openWindowTolerance must be at most 0.5 (50%)')
          .default(0.01),
        lookbackWindows: positiveInt('lookbackWindows', 10_000).default(48),
      })
      .prefault({}),

    dags: z.strictObject({
      repoUrl: z
        .string()
        .min(
          1,
          'repoUrl is required: the Git repository that holds the DAGs and the dbt project',
        )
        .refine(
          value => !urlHasCredentials(value),
          'repoUrl must not contain credentials; put them in the git-sync Secret named in secrets.gitSync',
        )
        .refine(
          value =>
            /^(https?:\/\/|ssh:\/\/|git@[^:]+:|file:\/\/)\S+$/.test(value),
          'repoUrl must be an https://, ssh://, git@host:path or file:// Git URL',
        ),
      branch: z.string().min(1).default('main'),
      syncPeriodSeconds: z
        .number()
        .int()
        .min(10, 'syncPeriodSeconds must be at least 10')
        .max(
          MAX_GIT_SYNC_PERIOD_SECONDS,
          `syncPeriodSeconds must be at most ${MAX_GIT_SYNC_PERIOD_SECONDS}, so that a pushed DAG is live within 2 minutes (git-sync's period plus the DAG processor's refresh)`,
        )
        .default(60),
    }),

    /** Names of Kubernetes Secrets, never their values. */
    secrets: z.strictObject({
      postgres: secretRef('orders-postgres'),
      clickhouse: secretRef('orders-clickhouse'),
      s3: secretRef('orders-s3'),
      snowflake: secretRef('orders-snowflake'),
      gitSync: secretRef('orders-git-sync'),
      airflowDatabase: secretRef('orders-airflow-db'),
    }),
  }),
});

/** A pipeline spec as written (defaults may be omitted). */
export type LambdaPipelineInput = z.input<typeof pipelineSpecSchema>;
/** A validated pipeline spec with every default filled in. */
export type LambdaPipeline = z.output<typeof pipelineSpecSchema>;
export type SourceTable =
  LambdaPipeline['spec']['source']['postgres']['tables'][number];
export type SourceColumn = SourceTable['columns'][number];
export type IcebergCatalog =
  LambdaPipeline['spec']['lake']['iceberg']['catalog'];
