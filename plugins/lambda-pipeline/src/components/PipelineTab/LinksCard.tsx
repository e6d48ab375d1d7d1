import { InfoCard, Link } from '@backstage/core-components';
import type { Entity } from '@backstage/catalog-model';
import type { PipelineLink } from '@internal/backstage-plugin-lambda-pipeline-common';
import Typography from '@material-ui/core/Typography';

const SOURCE_LOCATION = 'backstage.io/source-location';
const VIEW_URL = 'backstage.io/view-url';

/** The platform repository: where the entity's own files live, when that is a web address. */
export function platformRepositoryUrl(entity: Entity): string | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const source = annotations[SOURCE_LOCATION]?.replace(/^url:/, '');
  const candidate = source ?? annotations[VIEW_URL];
  return candidate && /^https?:\/\//.test(candidate) ? candidate : undefined;
}

/** Airflow, the Spark UI, Grafana and the two repositories of the pipeline. */
export function LinksCard(props: { entity: Entity; links: PipelineLink[] }) {
  const platform = platformRepositoryUrl(props.entity);
  const links: PipelineLink[] = [...props.links];
  const all = platform
    ? [
        ...links,
        {
          id: 'platform-repository',
          title: 'Platform repository',
          url: platform,
        },
      ]
    : links;
  const missing = [
    !links.some(l => l.id === 'airflow') && 'Airflow',
    !links.some(l => l.id === 'spark-ui') && 'the Spark UI',
    !links.some(l => l.id === 'grafana') && 'Grafana',
  ].filter(Boolean);
  return (
    <InfoCard title="Open elsewhere">
      {all.length > 0 ? (
        <ul style={{ margin: 0, paddingLeft: 20 }}>
          {all.map(link => (
            <li key={`${link.id}-${link.url}`}>
              <Link to={link.url}>{link.title}</Link>
            </li>
          ))}
        </ul>
      ) : (
        <Typography variant="body2">No links for this pipeline yet.</Typography>
      )}
      {missing.length > 0 && (
        <Typography variant="caption" display="block" style={{ marginTop: 8 }}>
          To link {missing.join(', ')}, set their addresses under{' '}
          <code>lambdaPipelines.environments.&lt;environment&gt;.consoles</code>{' '}
          in app-config.
        </Typography>
      )}
    </InfoCard>
  );
}
