import { createBackend } from '@backstage/backend-defaults';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';

// Stand-alone development backend: `yarn start` in this package, then
//   curl http://localhost:7007/api/lambda-pipeline/health
//   curl http://localhost:7007/api/lambda-pipeline/pipelines
const backend = createBackend();
backend.add(mockServices.auth.factory());
backend.add(mockServices.httpAuth.factory());
backend.add(catalogServiceMock.factory({ entities: [] }));
backend.add(import('../src'));
backend.start();
