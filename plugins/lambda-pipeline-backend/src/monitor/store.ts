import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  ConsistencyRun,
  HealthStatus,
  PipelineConsistencyResponse,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { Knex } from 'knex';
import { Counters, Positions } from './counters';

const migrationsDir = resolvePackagePath(
  '@internal/backstage-plugin-lambda-pipeline-backend',
  'migrations',
);

export type StoredSample = {
  at: Date;
  environment: string;
  counters: Counters;
  positions: Positions;
  status?: HealthStatus;
  reason?: string;
};

type ConsistencyResult = Omit<PipelineConsistencyResponse, 'history'>;

/**
 * The plugin's own tables in the Backstage database (SQLite locally,
 * PostgreSQL in production): samples and consistency history.
 */
export class MonitorStore {
  private constructor(private readonly db: Knex) {}

  static async create(database: DatabaseService): Promise<MonitorStore> {
    const db = await database.getClient();
    if (!database.migrations?.skip) {
      await db.migrate.latest({
        directory: migrationsDir,
        tableName: 'lambda_pipeline_knex_migrations',
      });
    }
    return new MonitorStore(db);
  }

  async addSample(entityRef: string, sample: StoredSample): Promise<void> {
    await this.db('lambda_pipeline_samples').insert({
      entity_ref: entityRef,
      environment: sample.environment,
      sampled_at: sample.at.getTime(),
      counters: JSON.stringify(sample.counters),
      positions: JSON.stringify(sample.positions),
      status: sample.status ?? null,
      reason: sample.reason ?? null,
    });
  }

  private static toSample(row: any): StoredSample {
    return {
      at: new Date(Number(row.sampled_at)),
      environment: row.environment,
      counters: JSON.parse(row.counters),
      positions: JSON.parse(row.positions),
      ...(row.status ? { status: row.status } : {}),
      ...(row.reason ? { reason: row.reason } : {}),
    };
  }

  /** Samples of a pipeline since a time, oldest first. */
  async samples(entityRef: string, since: Date): Promise<StoredSample[]> {
    const rows = await this.db('lambda_pipeline_samples')
      .where({ entity_ref: entityRef })
      .andWhere('sampled_at', '>=', since.getTime())
      .orderBy('sampled_at', 'asc');
    return rows.map(MonitorStore.toSample);
  }

  /** The newest `count` samples of a pipeline, newest first. */
  async latestSamples(
    entityRef: string,
    count: number,
  ): Promise<StoredSample[]> {
    const rows = await this.db('lambda_pipeline_samples')
      .where({ entity_ref: entityRef })
      .orderBy('sampled_at', 'desc')
      .limit(count);
    return rows.map(MonitorStore.toSample);
  }

  async latestSample(entityRef: string): Promise<StoredSample | undefined> {
    const row = await this.db('lambda_pipeline_samples')
      .where({ entity_ref: entityRef })
      .orderBy('sampled_at', 'desc')
      .first();
    return row ? MonitorStore.toSample(row) : undefined;
  }

  /** The newest sampled health of every pipeline. */
  async latestStatuses(): Promise<
    Map<string, { status: HealthStatus; reason: string; at: Date }>
  > {
    const newest = this.db('lambda_pipeline_samples')
      .select('entity_ref')
      .max({ at: 'sampled_at' })
      .whereNotNull('status')
      .groupBy('entity_ref')
      .as('newest');
    const rows = await this.db('lambda_pipeline_samples as s')
      .join(newest, function join() {
        this.on('s.entity_ref', '=', 'newest.entity_ref').andOn(
          's.sampled_at',
          '=',
          'newest.at',
        );
      })
      .select('s.entity_ref', 's.status', 's.reason', 's.sampled_at');
    return new Map(
      rows.map((r: any) => [
        r.entity_ref,
        {
          status: r.status,
          reason: r.reason ?? '',
          at: new Date(Number(r.sampled_at)),
        },
      ]),
    );
  }

  async addConsistency(
    entityRef: string,
    result: ConsistencyResult,
    run: ConsistencyRun,
  ): Promise<void> {
    await this.db('lambda_pipeline_consistency').insert({
      entity_ref: entityRef,
      checked_at: new Date(result.checkedAt).getTime(),
      status: run.status,
      consistent: run.consistent,
      converging: run.converging,
      diverged: run.diverged,
      result: JSON.stringify(result),
    });
  }

  async latestConsistency(
    entityRef: string,
  ): Promise<ConsistencyResult | undefined> {
    const row = await this.db('lambda_pipeline_consistency')
      .where({ entity_ref: entityRef })
      .orderBy('checked_at', 'desc')
      .first();
    return row ? JSON.parse(row.result) : undefined;
  }

  /** Earlier checks, newest first. */
  async consistencyHistory(
    entityRef: string,
    limit = 100,
  ): Promise<ConsistencyRun[]> {
    const rows = await this.db('lambda_pipeline_consistency')
      .where({ entity_ref: entityRef })
      .orderBy('checked_at', 'desc')
      .limit(limit)
      .select('checked_at', 'status', 'consistent', 'converging', 'diverged');
    return rows.map((r: any) => ({
      checkedAt: new Date(Number(r.checked_at)).toISOString(),
      status: r.status,
      consistent: Number(r.consistent),
      converging: Number(r.converging),
      diverged: Number(r.diverged),
    }));
  }

  /** Deletes what is older than the retention; returns how many rows went. */
  async prune(olderThan: Date): Promise<number> {
    const a = await this.db('lambda_pipeline_samples')
      .where('sampled_at', '<', olderThan.getTime())
      .delete();
    const b = await this.db('lambda_pipeline_consistency')
      .where('checked_at', '<', olderThan.getTime())
      .delete();
    return Number(a) + Number(b);
  }
}
