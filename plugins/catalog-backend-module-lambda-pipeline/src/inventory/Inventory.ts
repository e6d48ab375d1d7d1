import type { LiveDatasetSystem } from '@internal/backstage-plugin-lambda-pipeline-common';
import { Collectors } from './collectors';
import { InventoryResult, InventorySnapshot } from './types';

/** One system of one environment to read. */
export type InventoryTarget = {
  environment: string;
  system: LiveDatasetSystem;
};

/**
 * Reads the live systems and remembers each one's last successful read. A
 * failed read reports its error together with that previous snapshot, so
 * callers can keep what they showed before instead of dropping it.
 */
export class Inventory {
  private readonly last = new Map<string, InventorySnapshot>();

  constructor(
    private readonly collectors: Collectors,
    private readonly options: { timeoutMs: number },
  ) {}

  /** Reads every target at once; never throws (failures are results). */
  async collect(
    targets: InventoryTarget[],
    extra: { snowflakeDatabases: (environment: string) => string[] },
  ): Promise<InventoryResult[]> {
    return Promise.all(
      targets.map(async ({ environment, system }) => {
        const key = `${environment}/${system}`;
        const started = Date.now();
        try {
          const collector = this.collectors[system];
          if (!collector) {
            throw new Error(`no collector for ${system}`);
          }
          const datasets = await collector(environment, {
            timeoutMs: this.options.timeoutMs,
            snowflakeDatabases: extra.snowflakeDatabases(environment),
          });
          const snapshot: InventorySnapshot = {
            environment,
            system,
            datasets,
            readAt: Date.now(),
            durationMs: Date.now() - started,
          };
          this.last.set(key, snapshot);
          return { status: 'ok', snapshot } as const;
        } catch (error) {
          return {
            status: 'failed',
            environment,
            system,
            error: error as Error,
            previous: this.last.get(key),
          } as const;
        }
      }),
    );
  }
}
