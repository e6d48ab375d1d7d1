import { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import {
  EXAMPLE_PIPELINE_SPEC,
  parsePipelineSpec,
  pipelineSizing,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { screen } from '@testing-library/react';
import {
  LambdaPipelineApi,
  lambdaPipelineApiRef,
} from '../../api/LambdaPipelineApi';
import { PipelineOverview } from './PipelineOverview';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'System',
  metadata: {
    name: 'orders',
    namespace: 'default',
    annotations: { 'lambda-pipelines.io/spec': './pipeline.yaml' },
  },
  spec: { owner: 'data-platform' },
};

function renderWith(api: Partial<LambdaPipelineApi>) {
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <PipelineOverview />
    </EntityProvider>,
    { apis: [[lambdaPipelineApiRef, api]] },
  );
}

describe('PipelineOverview', () => {
  it('shows the datasets, the sizing and the memory plan of the pipeline', async () => {
    const spec = parsePipelineSpec(EXAMPLE_PIPELINE_SPEC);
    const getPipelineSpec = jest.fn().mockResolvedValue({
      entityRef: 'system:default/orders',
      spec,
      sizing: pipelineSizing(spec),
    });
    await renderWith({ getPipelineSpec });

    expect(await screen.findByText('20,000 events/s')).toBeInTheDocument();
    expect(getPipelineSpec).toHaveBeenCalledWith({
      namespace: 'default',
      name: 'orders',
    });
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

  it('says what went wrong when the spec is invalid', async () => {
    const response = new Response(
      JSON.stringify({
        error: {
          name: 'InputError',
          message:
            'Invalid pipeline spec:\nspec.throughput.targetEventsPerSecond: must be greater than 0',
        },
        request: { method: 'GET', url: '/pipelines/default/orders/spec' },
        response: { statusCode: 400 },
      }),
      { status: 400, headers: { 'Content-Type': 'application/json' } },
    );
    const error = await ResponseError.fromResponse(response as any);
    await renderWith({ getPipelineSpec: jest.fn().mockRejectedValue(error) });

    expect(
      await screen.findByText(/Could not load the pipeline spec/),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText(/targetEventsPerSecond: must be greater than 0/)
        .length,
    ).toBeGreaterThan(0);
  });
});
