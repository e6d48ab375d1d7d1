import { Entity } from '@backstage/catalog-model';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';

/**
 * One source of dataset entities. Each provider replaces all of its entities
 * at once (a full mutation), so a dataset that disappears from its source
 * disappears from the catalog, and a provider whose source could not be read
 * is simply not given a new set: what it listed before stays.
 */
export class DatasetEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;

  constructor(
    private readonly name: string,
    private readonly onConnect?: () => Promise<void>,
  ) {}

  getProviderName(): string {
    return this.name;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    await this.onConnect?.();
  }

  get connected(): boolean {
    return this.connection !== undefined;
  }

  /**
   * Replaces everything this provider listed with `entities`. `locationKey`
   * groups entities for conflict checks: another provider (or a YAML file)
   * cannot take over an entity with the same name.
   */
  async replace(
    entities: Array<{ entity: Entity; locationKey?: string }>,
  ): Promise<void> {
    if (!this.connection) {
      throw new Error(`${this.name} is not connected to the catalog yet`);
    }
    await this.connection.applyMutation({
      type: 'full',
      entities: entities.map(e => ({
        entity: e.entity,
        locationKey: e.locationKey ?? this.name,
      })),
    });
  }
}
