import {
  createBackendModule,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  createMockDirectory,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import {
  CatalogService,
  catalogLocationsExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import fs from 'node:fs';
import yaml from 'yaml';
import { createRegisterLocalAction } from './registerLocal';

// Starting a real catalog backend takes several seconds on a busy 2-core machine.
jest.setTimeout(60_000);

const mockDir = createMockDirectory();
const repos = mockDir.resolve('repos');
const checkout = mockDir.resolve('repos/checkouts/orders-platform');
const catalogInfo = `${checkout}/catalog-info.yaml`;

const CATALOG_INFO = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'orders-platform' },
    spec: {
      type: 'service',
      lifecycle: 'experimental',
      owner: 'group:default/data-platform',
      system: 'orders',
    },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: { name: 'orders' },
    spec: { owner: 'group:default/data-platform' },
  },
]
  .map(doc => yaml.stringify(doc))
  .join('---\n');

const config = (data = { directory: repos }) =>
  mockServices.rootConfig({
    data: { lambdaPipelines: { publish: { local: data } } },
  });

const outputs = (ctx: ReturnType<typeof createMockActionContext>) =>
  Object.fromEntries((ctx.output as jest.Mock).mock.calls);

const makeContext = (input: Record<string, unknown>) =>
  createMockActionContext({ input: input as any });

/** Polls until `fn` resolves to something, for the catalog's processing loop. */
async function eventually<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined || Date.now() > deadline) {
      return value;
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}

/**
 * What a catalog needs for this action: a module that allows `file`
 * locations next to `url` ones (the catalog allows only `url` by default).
 */
const allowFileLocations = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'allow-file-locations',
  register(env) {
    env.registerInit({
      deps: { locations: catalogLocationsExtensionPoint },
      async init({ locations }) {
        locations.setAllowedLocationTypes(['url', 'file']);
      },
    });
  },
});

/** Starts the real catalog backend and returns the catalog service of a plugin. */
async function startCatalog(options: { allowFile: boolean }) {
  let catalog: CatalogService | undefined;
  const grabCatalog = createBackendPlugin({
    pluginId: 'grab-catalog',
    register(env) {
      env.registerInit({
        deps: { service: catalogServiceRef },
        async init({ service }) {
          catalog = service;
        },
      });
    },
  });
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      grabCatalog,
      ...(options.allowFile ? [allowFileLocations] : []),
      mockServices.rootConfig.factory({
        data: {
          catalog: { rules: [{ allow: ['Component', 'System', 'Location'] }] },
        },
      }),
    ],
  });
  return { backend, catalog: catalog! };
}

describe('lambda:catalog:register-local', () => {
  beforeEach(() => {
    mockDir.setContent({
      'repos/checkouts/orders-platform/catalog-info.yaml': CATALOG_INFO,
      'repos/orders-platform.git/config': '[core]\n',
      'elsewhere/catalog-info.yaml': CATALOG_INFO,
    });
  });

  describe('with the real catalog backend', () => {
    it('registers the file, outputs the System and treats a second registration as success', async () => {
      const { backend, catalog } = await startCatalog({ allowFile: true });
      try {
        const action = createRegisterLocalAction({ config: config(), catalog });
        const ctx = makeContext({ catalogInfoPath: catalogInfo });
        await action.handler(ctx);
        expect(outputs(ctx)).toEqual({
          entityRef: 'system:default/orders',
          catalogInfoPath: catalogInfo,
        });

        const credentials = await ctx.getInitiatorCredentials();
        const locations = await catalog.getLocations({}, { credentials });
        expect(locations.items).toEqual([
          expect.objectContaining({ type: 'file', target: catalogInfo }),
        ]);
        // The processing loop reads the file and the System shows up.
        const system = await eventually(() =>
          catalog.getEntityByRef('system:default/orders', { credentials }),
        );
        expect(system?.metadata.annotations).toMatchObject({
          'backstage.io/managed-by-location': `file:${catalogInfo}`,
        });

        const again = makeContext({ catalogInfoPath: catalogInfo });
        const info = jest.spyOn(again.logger, 'info');
        await action.handler(again);
        expect(info).toHaveBeenCalledWith(
          expect.stringMatching(/was already registered in the catalog/),
        );
        expect(outputs(again).entityRef).toBe('system:default/orders');
      } finally {
        await backend.stop();
      }
    });

    it('explains how to allow file locations when the catalog refuses them', async () => {
      const { backend, catalog } = await startCatalog({ allowFile: false });
      try {
        const action = createRegisterLocalAction({ config: config(), catalog });
        const error = await action
          .handler(makeContext({ catalogInfoPath: catalogInfo }))
          .catch(e => e);
        expect(error).toBeInstanceOf(InputError);
        expect(error.message).toMatch(
          /^The catalog does not accept file locations, so .* cannot be registered\. Allow them .*setAllowedLocationTypes\(\['url', 'file'\]\)/,
        );
      } finally {
        await backend.stop();
      }
    });
  });

  describe('refuses paths it must not register', () => {
    const catalog = catalogServiceMock.mock();
    const action = createRegisterLocalAction({ config: config(), catalog });

    it.each([
      [
        'a file outside the directory',
        () => mockDir.resolve('elsewhere/catalog-info.yaml'),
      ],
      [
        'a file in a bare repository',
        () => mockDir.resolve('repos/orders-platform.git/config'),
      ],
      [
        'an escape with ..',
        () => `${checkout}/../../../elsewhere/catalog-info.yaml`,
      ],
      [
        'the checkouts directory itself',
        () => mockDir.resolve('repos/checkouts'),
      ],
    ])('%s', async (_what, target) => {
      const error = await action
        .handler(makeContext({ catalogInfoPath: target() }))
        .catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(
        /is not inside a checkout made by lambda:publish:local .*lambdaPipelines\.publish\.local\.directory/,
      );
      expect(catalog.addLocation).not.toHaveBeenCalled();
    });

    it('a symlink in a checkout that points outside', async () => {
      fs.symlinkSync(
        mockDir.resolve('elsewhere/catalog-info.yaml'),
        `${checkout}/link.yaml`,
      );
      const error = await action
        .handler(makeContext({ catalogInfoPath: `${checkout}/link.yaml` }))
        .catch(e => e);
      expect(error.message).toMatch(/is not inside a checkout/);
      expect(catalog.addLocation).not.toHaveBeenCalled();
    });

    it('a relative path', async () => {
      const error = await action
        .handler(makeContext({ catalogInfoPath: 'catalog-info.yaml' }))
        .catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(
        /^catalogInfoPath 'catalog-info.yaml' must be an absolute path/,
      );
    });

    it('a file that does not exist', async () => {
      const error = await action
        .handler(makeContext({ catalogInfoPath: `${checkout}/missing.yaml` }))
        .catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(/missing\.yaml does not exist/);
    });
  });

  it('registers through the catalog with the initiator credentials', async () => {
    const catalog = catalogServiceMock.mock({
      addLocation: jest.fn().mockResolvedValue({
        location: { id: '1', type: 'file', target: catalogInfo },
        entities: [
          { kind: 'Location', metadata: { name: 'generated-1' } },
          { kind: 'Component', metadata: { name: 'orders-platform' } },
        ],
      }),
    });
    const action = createRegisterLocalAction({ config: config(), catalog });
    const ctx = makeContext({ catalogInfoPath: catalogInfo });
    await action.handler(ctx);
    const credentials = await ctx.getInitiatorCredentials();
    expect(catalog.addLocation).toHaveBeenNthCalledWith(
      1,
      { type: 'file', target: catalogInfo },
      { credentials },
    );
    // No System in the file: the first entity other than the Location.
    expect(outputs(ctx).entityRef).toBe('component:default/orders-platform');
  });

  it('does not fail when optional and the catalog refuses', async () => {
    const catalog = catalogServiceMock.mock({
      addLocation: jest.fn().mockRejectedValue(new Error('catalog is down')),
    });
    const action = createRegisterLocalAction({ config: config(), catalog });
    const ctx = makeContext({ catalogInfoPath: catalogInfo, optional: true });
    const warn = jest.spyOn(ctx.logger, 'warn');
    await action.handler(ctx);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/catalog is down/));
    expect(outputs(ctx)).toEqual({ catalogInfoPath: catalogInfo });
  });

  describe('dry run', () => {
    it('checks the file and registers nothing', async () => {
      const catalog = catalogServiceMock.mock({
        addLocation: jest.fn().mockResolvedValue({
          location: { id: '1', type: 'file', target: catalogInfo },
          entities: [{ kind: 'System', metadata: { name: 'orders' } }],
        }),
      });
      const action = createRegisterLocalAction({ config: config(), catalog });
      const ctx = {
        ...makeContext({ catalogInfoPath: catalogInfo }),
        isDryRun: true,
      };
      await action.handler(ctx);
      expect(catalog.addLocation).toHaveBeenCalledTimes(1);
      expect(catalog.addLocation).toHaveBeenCalledWith(
        { type: 'file', target: catalogInfo, dryRun: true },
        expect.anything(),
      );
      expect(outputs(ctx).entityRef).toBe('system:default/orders');
    });

    it('accepts a file the dry run of lambda:publish:local did not create', async () => {
      const catalog = catalogServiceMock.mock();
      const action = createRegisterLocalAction({ config: config(), catalog });
      const target = mockDir.resolve(
        'repos/checkouts/orders-dags/catalog-info.yaml',
      );
      const ctx = {
        ...makeContext({ catalogInfoPath: target }),
        isDryRun: true,
      };
      await action.handler(ctx);
      expect(catalog.addLocation).not.toHaveBeenCalled();
      expect(outputs(ctx)).toEqual({ catalogInfoPath: target });
    });

    it('still refuses a path outside the directory', async () => {
      const action = createRegisterLocalAction({
        config: config(),
        catalog: catalogServiceMock.mock(),
      });
      const ctx = {
        ...makeContext({ catalogInfoPath: '/etc/passwd' }),
        isDryRun: true,
      };
      await expect(action.handler(ctx)).rejects.toThrow(
        /is not inside a checkout/,
      );
    });
  });

  it('fails naming the config key when no directory is configured', async () => {
    const action = createRegisterLocalAction({
      config: mockServices.rootConfig({ data: {} }),
      catalog: catalogServiceMock.mock(),
    });
    await expect(
      action.handler(makeContext({ catalogInfoPath: catalogInfo })),
    ).rejects.toThrow(/lambdaPipelines\.publish\.local\.directory/);
  });
});
