import { Progress, WarningPanel } from '@backstage/core-components';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { ReactNode } from 'react';
import { formatDuration, formatTime } from './format';
import { Polled } from './usePolling';

/** Why a call failed, in words: the backend's message, or that it could not be reached. */
export function describeError(error: Error): string {
  if (error.name === 'TypeError' || /failed to fetch/i.test(error.message)) {
    return 'the Lambda pipelines backend could not be reached (is the backend running?)';
  }
  return error.message;
}

/**
 * One independently refreshed part of a page: a progress bar until its first
 * answer, an error that says what happened and retries if there is nothing to
 * show, and the last good content with a note beside it if a refresh failed.
 */
export function PolledSection<T>(props: {
  what: string;
  polled: Polled<T>;
  intervalMs: number;
  children: (value: T) => ReactNode;
}) {
  const { what, polled, intervalMs, children } = props;
  const every = formatDuration(intervalMs / 1000);
  if (polled.loading) {
    return <Progress aria-label={`Loading ${what}`} />;
  }
  if (polled.value === undefined) {
    return (
      <WarningPanel
        severity="error"
        defaultExpanded
        title={`Could not load ${what}`}
        message={`${describeError(
          polled.error ?? new Error('no answer'),
        )}. Tried again every ${every}.`}
      >
        <Button size="small" variant="outlined" onClick={polled.retry}>
          Try again now
        </Button>
      </WarningPanel>
    );
  }
  return (
    <>
      {polled.error && (
        <Typography
          variant="caption"
          color="error"
          role="status"
          display="block"
        >
          Could not refresh {what}: {describeError(polled.error)}. Showing what
          was loaded at{' '}
          {polled.updatedAt ? formatTime(polled.updatedAt.toISOString()) : '—'};
          trying again every {every}.
        </Typography>
      )}
      {children(polled.value)}
    </>
  );
}
