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
        /^Memory plan: 12\.6 GiB steady \+ 3\.0 GiB during batch runs/,
      ),
    ).toBeInTheDocument();
  });
});
