import {
  Content,
  Progress,
  ResponseErrorPanel,
  Table,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import useAsync from 'react-use/esm/useAsync';
import { lambdaPipelineApiRef } from '../../api/LambdaPipelineApi';

/** Every pipeline in the catalog. */
export const PipelinesPage = () => {
  const api = useApi(lambdaPipelineApiRef);
  const { value, loading, error } = useAsync(() => api.listPipelines(), [api]);

  if (loading) {
    return <Progress />;
  }
  if (error) {
    return (
      <ResponseErrorPanel error={error} title="Could not list pipelines" />
    );
  }
  return (
    <Content>
      <Table
        title="Lambda pipelines"
        options={{ paging: false, padding: 'dense' }}
        data={value?.items ?? []}
        emptyContent={
          <p style={{ padding: 16 }}>
            No pipelines yet. Use "Create pipeline" to make one.
          </p>
        }
        columns={[
          {
            title: 'Pipeline',
            render: row => (
              <EntityRefLink entityRef={row.entityRef} title={row.title} />
            ),
          },
          {
            title: 'Owner',
            render: row =>
              row.owner ? <EntityRefLink entityRef={row.owner} /> : '',
          },
          { title: 'Spec', field: 'specLocation' },
        ]}
      />
    </Content>
  );
};
