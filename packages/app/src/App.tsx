import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import lambdaPipelinePlugin from '@internal/backstage-plugin-lambda-pipeline';
import { navModule } from './modules/nav';

export default createApp({
  features: [catalogPlugin, lambdaPipelinePlugin, navModule],
});
