import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EXAMPLE_PIPELINE_SPEC,
  parsePipelineSpec,
  pipelineSizing,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { screen } from '@testing-library/react';
import { PipelineDesign } from './PipelineDesign';

describe('PipelineDesign', () => {
  it('shows the datasets, the sizing and the memory plan of the pipeline', async () => {
    const spec = parsePipelineSpec(EXAMPLE_PIPELINE_SPEC);
    await renderInTestApp(
      <PipelineDesign
        value={{
          entityRef: 'system:default/orders',
          spec,
          sizing: pipelineSizing(spec),
          links: [],
        }}
      />,
    );

    expect(await screen.findByText('20,000 events/s')).toBeInTheDocument();
    expect(screen.getByText('shop.public.orders')).toBeInTheDocument();
    expect(screen.getByText('orders.public.orders')).toBeInTheDocument();
    expect(screen.getByText('orders.orders')).toBeInTheDocument();
    expect(screen.getByText('ANALYTICS.ORDERS.ORDERS')).toBeInTheDocument();
    expect(screen.getByText('orders.dlq')).toBeInTheDocument();
    expect(
      screen.getByText('ClickHouse (speed-layer serving)'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /^Memory plan: 12\.5 GiB steady \+ 2\.5 GiB during the largest Airflow run \(1\.8 GiB while deploying\), 1\.0 GiB headroom/,
      ),
    ).toBeInTheDocument();
  });
});
