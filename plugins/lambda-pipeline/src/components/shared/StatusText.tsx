import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import type {
  HealthStatus,
  WindowStatus,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { ReactNode } from 'react';

export const HEALTH_TEXT: Record<HealthStatus, string> = {
  ok: 'OK',
  degraded: 'Degraded',
  down: 'Down',
};

export const WINDOW_TEXT: Record<WindowStatus, string> = {
  consistent: 'Consistent',
  converging: 'Converging',
  diverged: 'Diverged',
};

/**
 * A status as a coloured dot *and* a word (never colour alone), from
 * Backstage's status components so it follows the light and dark themes.
 */
export function StatusText(props: {
  status: HealthStatus | WindowStatus | 'unknown';
  children?: ReactNode;
}) {
  const { status } = props;
  const text =
    props.children ??
    (status === 'unknown'
      ? 'Not sampled yet'
      : (HEALTH_TEXT as Record<string, string>)[status] ??
        (WINDOW_TEXT as Record<string, string>)[status]);
  switch (status) {
    case 'ok':
    case 'consistent':
      return <StatusOK>{text}</StatusOK>;
    case 'degraded':
    case 'converging':
      return <StatusWarning>{text}</StatusWarning>;
    case 'down':
    case 'diverged':
      return <StatusError>{text}</StatusError>;
    default:
      return <StatusPending>{text}</StatusPending>;
  }
}
