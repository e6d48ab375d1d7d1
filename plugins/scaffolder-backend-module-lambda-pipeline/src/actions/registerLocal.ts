import { RootConfigService, isChildPath } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, isError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  PUBLISH_LOCAL_DIRECTORY_KEY,
  requirePublishLocalConfig,
} from '../config';
import { examples } from './registerLocal.examples';

export const REGISTER_LOCAL_ACTION_ID = 'lambda:catalog:register-local';

/** The catalog answers a second registration of a location with 409. */
function isConflict(error: unknown): boolean {
  if (!isError(error)) {
    return false;
  }
  const { statusCode, cause } = error as {
    statusCode?: number;
    cause?: { name?: string };
  };
  return (
    error.name === 'ConflictError' ||
    statusCode === 409 ||
    cause?.name === 'ConflictError'
  );
}

/** The catalog refuses location types it was not told to allow. */
function isLocationTypeRefused(error: unknown): boolean {
  return (
    isError(error) &&
    /Registered locations must be of an allowed type/.test(
      `${error.message} ${(error as { cause?: Error }).cause?.message ?? ''}`,
    )
  );
}

/** The entity to link to: the System if there is one, else the first other than the Location. */
function mainEntity(entities: Entity[]): Entity | undefined {
  return (
    entities.find(e => e.kind === 'System') ??
    entities.find(e => e.kind !== 'Location') ??
    entities[0]
  );
}

/**
 * Resolves `catalogInfoPath` to its real path (no symlink out of a checkout)
 * and refuses anything outside the checkouts of `lambda:publish:local`.
 * Returns undefined if the file does not exist.
 */
async function resolveCatalogInfo(
  catalogInfoPath: string,
  checkoutsDirectory: string,
): Promise<string | undefined> {
  if (!path.isAbsolute(catalogInfoPath)) {
    throw new InputError(
      `catalogInfoPath '${catalogInfoPath}' must be an absolute path: the checkoutPath output of lambda:publish:local joined with the file name, e.g. '\${{ steps['publish-platform'].output.checkoutPath }}/catalog-info.yaml'.`,
    );
  }
  const outside = () =>
    new InputError(
      `catalogInfoPath '${catalogInfoPath}' is not inside a checkout made by lambda:publish:local (${checkoutsDirectory}, from ${PUBLISH_LOCAL_DIRECTORY_KEY}); ` +
        `only files in those checkouts can be registered as file locations.`,
    );
  const requested = path.resolve(catalogInfoPath);
  if (
    requested === checkoutsDirectory ||
    !isChildPath(checkoutsDirectory, requested)
  ) {
    throw outside();
  }
  let real: string;
  try {
    real = await fs.realpath(requested);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
  const realCheckouts = await fs.realpath(checkoutsDirectory);
  if (real === realCheckouts || !isChildPath(realCheckouts, real)) {
    throw outside();
  }
  if (!(await fs.stat(real)).isFile()) {
    throw new InputError(
      `catalogInfoPath '${catalogInfoPath}' is not a file; point it at the catalog-info.yaml in the checkout.`,
    );
  }
  return real;
}

/**
 * `lambda:catalog:register-local`: registers a catalog-info.yaml in a working
 * checkout made by `lambda:publish:local` as a `file` location. The catalog
 * must allow `file` locations (see the README).
 */
export function createRegisterLocalAction(options: {
  config: RootConfigService;
  catalog: CatalogService;
}) {
  const { config, catalog } = options;
  return createTemplateAction({
    id: REGISTER_LOCAL_ACTION_ID,
    description:
      'Registers a catalog-info.yaml from a working checkout made by lambda:publish:local as a file location in the catalog. An existing registration counts as success.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        catalogInfoPath: z =>
          z
            .string()
            .describe(
              'Absolute path of the catalog-info.yaml inside the checkoutPath of lambda:publish:local',
            ),
        optional: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Log a warning instead of failing if the file is missing or the catalog refuses it. Default: false',
            ),
      },
      output: {
        entityRef: z =>
          z
            .string()
            .optional()
            .describe(
              'The System registered from the file, else its first entity',
            ),
        catalogInfoPath: z =>
          z.string().describe('The file registered (its real path)'),
      },
    },
    async handler(ctx) {
      const { catalogInfoPath, optional } = ctx.input;
      const local = requirePublishLocalConfig(config);
      const file = await resolveCatalogInfo(
        catalogInfoPath,
        local.checkoutsDirectory,
      );
      const skip = (message: string) => {
        if (!optional) {
          throw new InputError(message);
        }
        ctx.logger.warn(`${message}; not registered (optional)`);
      };

      if (!file) {
        const message = `catalogInfoPath ${catalogInfoPath} does not exist; publish the repository with lambda:publish:local first`;
        if (ctx.isDryRun) {
          // lambda:publish:local creates nothing in a dry run either.
          ctx.logger.info(
            `${message}. Would register file:${catalogInfoPath} (dry run: nothing registered)`,
          );
          ctx.output('catalogInfoPath', catalogInfoPath);
          return;
        }
        skip(message);
        ctx.output('catalogInfoPath', catalogInfoPath);
        return;
      }

      const location = { type: 'file', target: file };
      const credentials = await ctx.getInitiatorCredentials();
      const explain = (error: unknown): never => {
        if (isLocationTypeRefused(error)) {
          throw new InputError(
            `The catalog does not accept file locations, so ${file} cannot be registered. ` +
              `Allow them in a catalog backend module: catalogLocationsExtensionPoint.setAllowedLocationTypes(['url', 'file']) from @backstage/plugin-catalog-node ` +
              `(see the README of this module), or add the file to catalog.locations in app-config.yaml.`,
          );
        }
        throw error;
      };

      try {
        if (ctx.isDryRun) {
          ctx.logger.info(
            `Would register file:${file} in the catalog (dry run: nothing registered)`,
          );
        } else {
          const registered = await ctx.checkpoint({
            key: `${REGISTER_LOCAL_ACTION_ID}:${file}`,
            fn: async () => {
              try {
                await catalog.addLocation(location, { credentials });
                return 'registered';
              } catch (error) {
                if (isConflict(error)) {
                  return 'existed';
                }
                return explain(error);
              }
            },
          });
          ctx.logger.info(
            registered === 'existed'
              ? `file:${file} was already registered in the catalog; nothing to do (the catalog re-reads the file on its own schedule)`
              : `Registered file:${file} in the catalog`,
          );
        }
        // A dry run of the location reads the file as the catalog will,
        // without registering anything: it tells which entities it holds.
        const { entities } = await catalog
          .addLocation({ ...location, dryRun: true }, { credentials })
          .catch(explain);
        const entity = mainEntity(entities);
        if (entity) {
          ctx.output('entityRef', stringifyEntityRef(entity));
        }
      } catch (error) {
        if (!optional) {
          throw error;
        }
        ctx.logger.warn(
          `Could not register file:${file} (optional, so the task goes on): ${error}`,
        );
      }
      ctx.output('catalogInfoPath', file);
    },
  });
}
