/*
 * The Backstage backend for Lambda pipelines (new backend system).
 *
 * Core plugins come from the Backstage release line pinned in backstage.json;
 * our own plugins and modules live in ../../plugins.
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

// Auth: guest sign-in locally; see app-config.production.yaml for a real provider.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-auth-backend-module-github-provider'));

// Catalog
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// Scaffolder
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));

// Permissions (allow-all locally; replace with a real policy in production)
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import('@backstage/plugin-permission-backend-module-allow-all-policy'),
);

// Search over the catalog
backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));

// Lambda pipelines
backend.add(import('@internal/backstage-plugin-lambda-pipeline-backend'));
backend.add(
  import('@internal/backstage-plugin-catalog-backend-module-lambda-pipeline'),
);
backend.add(
  import(
    '@internal/backstage-plugin-scaffolder-backend-module-lambda-pipeline'
  ),
);

backend.start();
