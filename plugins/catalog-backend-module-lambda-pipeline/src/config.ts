import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  RootConfigService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import type { LiveDatasetSystem } from '@internal/backstage-plugin-lambda-pipeline-common';

/** Root key of the catalog module's settings. */
export const CATALOG_KEY = 'lambdaPipelines.catalog';

export const LIVE_SYSTEMS: LiveDatasetSystem[] = [
  'kafka',
  'clickhouse',
  'snowflake',
  'iceberg',
];

/**
 * Names never listed as datasets, before any configured exclusions: broker
 * and connector internals, ClickHouse's hidden materialized-view storage.
 * System databases and schemas (ClickHouse `system`, Snowflake
 * `INFORMATION_SCHEMA`) are not even read.
 */
export const DEFAULT_EXCLUDES: Record<LiveDatasetSystem, string[]> = {
  // __consumer_offsets, __transaction_state, __strimzi*, __debezium-heartbeat.*; Confluent's own.
  kafka: ['^__', '^_confluent', '^_schemas$'],
  clickhouse: ['^[^.]+\\.\\.inner(_id)?\\.'],
  snowflake: [],
  iceberg: [],
};

export type DatasetCatalogConfig = {
  schedule: SchedulerServiceTaskScheduleDefinition;
  live: {
    /** Environments whose systems are inventoried (default: every configured one). */
    environments?: string[];
    systems: LiveDatasetSystem[];
    /** Deadline of one system's read in one environment. */
    timeoutMs: number;
    /**
     * Snowflake databases to read besides each environment's own database
     * and its pipelines' databases.
     */
    snowflakeDatabases: string[];
    exclude: Record<LiveDatasetSystem, RegExp[]>;
    /** Datasets no pipeline owns: listed (marked unmanaged) unless disabled. */
    unmanaged: { enabled: boolean; owner: string };
  };
};

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 2 },
  timeout: { minutes: 5 },
  initialDelay: { seconds: 10 },
};

/** Reads `lambdaPipelines.catalog`; every problem names its key and what to write. */
export function readDatasetCatalogConfig(
  config: RootConfigService,
): DatasetCatalogConfig {
  const c = config.getOptionalConfig(CATALOG_KEY);
  const key = (k: string) => `${CATALOG_KEY}.${k}`;

  let schedule = DEFAULT_SCHEDULE;
  if (c?.has('schedule')) {
    try {
      schedule = readSchedulerServiceTaskScheduleDefinitionFromConfig(
        c.getConfig('schedule'),
      );
    } catch (error) {
      throw new InputError(
        `${key(
          'schedule',
        )} is not a task schedule: give frequency and timeout as durations, e.g. { frequency: { minutes: 2 }, timeout: { minutes: 5 } } (${
          (error as Error).message
        })`,
      );
    }
  }

  const live = c?.getOptionalConfig('live');
  const systems = live?.getOptionalStringArray('systems') ?? LIVE_SYSTEMS;
  const unknown = systems.filter(
    s => !LIVE_SYSTEMS.includes(s as LiveDatasetSystem),
  );
  if (unknown.length > 0) {
    throw new InputError(
      `${key('live.systems')} lists ${unknown
        .map(s => `'${s}'`)
        .join(', ')}; choose from ${LIVE_SYSTEMS.join(', ')}.`,
    );
  }
  const timeoutMs = live?.getOptionalNumber('timeoutMs') ?? 60_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 600_000) {
    throw new InputError(
      `${key(
        'live.timeoutMs',
      )} must be milliseconds between 100 and 600000; got ${timeoutMs}.`,
    );
  }
  const exclude = {} as Record<LiveDatasetSystem, RegExp[]>;
  for (const system of LIVE_SYSTEMS) {
    const patterns = [
      ...DEFAULT_EXCLUDES[system],
      ...(live?.getOptionalStringArray(`exclude.${system}`) ?? []),
    ];
    exclude[system] = patterns.map(pattern => {
      try {
        return new RegExp(pattern);
      } catch (error) {
        throw new InputError(
          `${key(
            `live.exclude.${system}`,
          )} has '${pattern}', which is not a regular expression: ${
            (error as Error).message
          }`,
        );
      }
    });
  }
  const snowflakeDatabases =
    live?.getOptionalStringArray('snowflake.databases') ?? [];
  const badDatabase = snowflakeDatabases.find(
    d => !/^([A-Za-z_][A-Za-z0-9_$]*|"[^"]+")$/.test(d),
  );
  if (badDatabase !== undefined) {
    throw new InputError(
      `${key(
        'live.snowflake.databases',
      )} has '${badDatabase}', which is not a Snowflake identifier (letters, digits, _ and $; quote other names: '"My DB"').`,
    );
  }
  const owner = live?.getOptionalString('unmanaged.owner') ?? 'unknown';
  if (!/^([a-z]+:)?([a-zA-Z0-9_.-]+\/)?[a-zA-Z0-9_.-]+$/.test(owner)) {
    throw new InputError(
      `${key(
        'live.unmanaged.owner',
      )} '${owner}' is not an entity reference such as group:default/data-platform.`,
    );
  }
  return {
    schedule,
    live: {
      environments: live?.getOptionalStringArray('environments'),
      systems: systems as LiveDatasetSystem[],
      timeoutMs,
      snowflakeDatabases,
      exclude,
      unmanaged: {
        enabled: live?.getOptionalBoolean('unmanaged.enabled') ?? true,
        owner,
      },
    },
  };
}
