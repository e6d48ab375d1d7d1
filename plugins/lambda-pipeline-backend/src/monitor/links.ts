import {
  airflowDagIds,
  LambdaPipeline,
  PipelineLink,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { PipelineEnvironmentConfig } from '@internal/backstage-plugin-lambda-pipeline-node';

/**
 * The address a person opens for a Git remote: https URLs as they are (minus
 * `.git`), scp-style and ssh:// remotes as https on the same host. Local
 * `file://` repositories cannot be opened from a web page: none.
 */
export function browsableRepositoryUrl(remote: string): string | undefined {
  const strip = (path: string) =>
    path.replace(/\.git$/, '').replace(/\/+$/, '');
  if (/^https?:\/\//.test(remote)) return strip(remote);
  const scp = /^[^@\s/]+@([^:\s/]+):(.+)$/.exec(remote);
  if (scp) return `https://${scp[1]}/${strip(scp[2])}`;
  try {
    const url = new URL(remote);
    if (url.protocol === 'ssh:') {
      return `https://${url.hostname}/${strip(
        url.pathname.replace(/^\/+/, ''),
      )}`;
    }
  } catch {
    // not a URL
  }
  return undefined;
}

/**
 * Where to look at a pipeline outside Backstage: its Airflow DAGs, the Spark
 * UI and Grafana of its environment (as configured there), and its DAG
 * repository.
 */
export function pipelineLinks(
  spec: LambdaPipeline,
  environment: PipelineEnvironmentConfig | undefined,
): PipelineLink[] {
  const links: PipelineLink[] = [];
  const airflow = environment?.consoles?.airflow ?? environment?.airflow?.url;
  if (airflow) {
    const dags = airflowDagIds(spec);
    links.push(
      {
        id: 'airflow',
        title: `Airflow: ${dags.batchLoad}`,
        url: `${airflow}/dags/${encodeURIComponent(dags.batchLoad)}`,
      },
      {
        id: 'airflow',
        title: `Airflow: ${dags.reconciliation}`,
        url: `${airflow}/dags/${encodeURIComponent(dags.reconciliation)}`,
      },
    );
  }
  if (environment?.consoles?.sparkUi) {
    links.push({
      id: 'spark-ui',
      title: 'Spark UI',
      url: environment.consoles.sparkUi,
    });
  }
  if (environment?.consoles?.grafana) {
    links.push({
      id: 'grafana',
      title: 'Grafana',
      url: environment.consoles.grafana,
    });
  }
  const dagRepository = browsableRepositoryUrl(spec.spec.dags.repoUrl);
  if (dagRepository) {
    links.push({
      id: 'dag-repository',
      title: 'DAG repository',
      url: dagRepository,
    });
  }
  return links;
}
