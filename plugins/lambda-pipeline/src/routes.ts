import {
  createExternalRouteRef,
  createRouteRef,
} from '@backstage/frontend-plugin-api';

export const rootRouteRef = createRouteRef();

/**
 * The scaffolder's page of one template, for the "Create pipeline" button
 * (bound to the scaffolder by default; rebind it in app-config's
 * `app.routes.bindings` if templates live elsewhere).
 */
export const createPipelineRouteRef = createExternalRouteRef({
  params: ['namespace', 'templateName'],
  defaultTarget: 'scaffolder.selectedTemplate',
});

/** The template the "Create pipeline" button opens (`templates/lambda-pipeline`). */
export const PIPELINE_TEMPLATE = {
  namespace: 'default',
  templateName: 'lambda-pipeline',
};
