import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import {
  ANNOTATION_DATASET,
  ANNOTATION_PIPELINE_SPEC,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import TimelineIcon from '@material-ui/icons/Timeline';
import { lambdaPipelineApiRef } from './api/LambdaPipelineApi';
import { LambdaPipelineClient } from './api/LambdaPipelineClient';
import { createPipelineRouteRef, rootRouteRef } from './routes';

const api = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: lambdaPipelineApiRef,
      deps: { fetchApi: fetchApiRef },
      factory: ({ fetchApi }) => new LambdaPipelineClient(fetchApi),
    }),
});

/** The "Lambda pipeline" tab, only on entities that carry a pipeline spec. */
const pipelineContent = EntityContentBlueprint.make({
  params: {
    path: '/lambda-pipeline',
    title: 'Lambda pipeline',
    filter: entity =>
      Boolean(entity.metadata.annotations?.[ANNOTATION_PIPELINE_SPEC]),
    loader: () =>
      import('./components/PipelineTab').then(m => <m.PipelineTab />),
  },
});

/**
 * The "Dataset" card on the overview of every dataset the catalog module
 * lists: what its system says about it, and a link to its pipeline's tab.
 */
const datasetCard = EntityCardBlueprint.make({
  name: 'dataset',
  params: {
    filter: entity =>
      Boolean(entity.metadata.annotations?.[ANNOTATION_DATASET]),
    loader: () =>
      import('./components/DatasetCard').then(m => <m.DatasetCard />),
  },
});

const pipelinesPage = PageBlueprint.make({
  params: {
    path: '/lambda-pipelines',
    title: 'Pipelines',
    routeRef: rootRouteRef,
    loader: () =>
      import('./components/PipelinesPage').then(m => <m.PipelinesPage />),
  },
});

/** Lambda pipelines for Backstage: the entity tab and the pipelines page. */
export const lambdaPipelinePlugin = createFrontendPlugin({
  pluginId: 'lambda-pipeline',
  title: 'Pipelines',
  icon: <TimelineIcon />,
  info: { packageJson: () => import('../package.json') },
  extensions: [api, pipelineContent, datasetCard, pipelinesPage],
  routes: { root: rootRouteRef },
  externalRoutes: { createPipeline: createPipelineRouteRef },
});
