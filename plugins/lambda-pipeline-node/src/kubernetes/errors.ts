/** One cause of a rejected request (`Status.details.causes[]`). */
export type KubernetesStatusCause = {
  reason?: string;
  field?: string;
  message?: string;
};

/**
 * A request the API server rejected (or could not be sent), reduced to the
 * server's `Status`: code, reason, message and causes. The library's own
 * error message embeds the whole response with its headers, so it is never
 * used as is.
 */
export class KubernetesApiError extends Error {
  readonly code?: number;
  readonly reason?: string;
  readonly causes: KubernetesStatusCause[];

  constructor(options: {
    code?: number;
    reason?: string;
    message: string;
    causes?: KubernetesStatusCause[];
  }) {
    super(options.message);
    this.name = 'KubernetesApiError';
    this.code = options.code;
    this.reason = options.reason;
    this.causes = options.causes ?? [];
  }
}

function parseBody(body: unknown): Record<string, any> | undefined {
  if (body && typeof body === 'object') return body as Record<string, any>;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body);
      return parsed && typeof parsed === 'object' ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Network errors worth naming plainly (the cluster is not reachable). */
const UNREACHABLE =
  /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|socket hang up|certificate|self[- ]signed|EAI_AGAIN/i;

/** Turns whatever `@kubernetes/client-node` threw into a {@link KubernetesApiError}. */
export function toKubernetesApiError(error: unknown): KubernetesApiError {
  if (error instanceof KubernetesApiError) return error;
  const e = error as {
    code?: unknown;
    body?: unknown;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  if (typeof e?.code === 'number') {
    const status = parseBody(e.body);
    return new KubernetesApiError({
      code: e.code,
      reason: status?.reason,
      message:
        typeof status?.message === 'string' && status.message
          ? status.message
          : `HTTP ${e.code}`,
      causes: Array.isArray(status?.details?.causes)
        ? status!.details.causes.map((c: KubernetesStatusCause) => ({
            reason: c.reason,
            field: c.field,
            message: c.message,
          }))
        : [],
    });
  }
  const detail = [e?.message, e?.cause?.code, e?.cause?.message]
    .filter(Boolean)
    .join(': ');
  return new KubernetesApiError({
    reason: UNREACHABLE.test(detail) ? 'Unreachable' : 'RequestFailed',
    message: detail || String(error),
  });
}
