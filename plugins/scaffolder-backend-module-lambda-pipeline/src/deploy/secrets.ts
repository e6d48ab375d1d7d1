import { KubeObject } from '@internal/backstage-plugin-lambda-pipeline-node';
import { LoggerService } from '@backstage/backend-plugin-api';

const isSecret = (object: KubeObject) =>
  object.kind === 'Secret' && !object.apiVersion.includes('/');

/** Values shorter than this are not treated as secrets (they would redact ordinary words). */
const MIN_SECRET_LENGTH = 4;

/**
 * Hides the values of every Secret in the manifests: the scaffolder only
 * redacts the template's own secrets, and these come from files. Both the
 * base64 form (`data`) and the decoded form are hidden, and so are the
 * values of `stringData`, everywhere they could appear in a message.
 */
export class SecretRedactor {
  private readonly values: string[];

  private constructor(values: Iterable<string>) {
    // Longest first, so a value that contains another is hidden whole.
    this.values = [...new Set(values)]
      .filter(v => v.length >= MIN_SECRET_LENGTH)
      .sort((a, b) => b.length - a.length);
  }

  static fromObjects(objects: KubeObject[]): SecretRedactor {
    const values: string[] = [];
    for (const object of objects.filter(isSecret)) {
      for (const value of Object.values(object.data ?? {})) {
        if (typeof value !== 'string') continue;
        values.push(value);
        const decoded = Buffer.from(value, 'base64').toString('utf8');
        values.push(decoded);
        // Multi-line secrets (keys, certificates) leak line by line too.
        values.push(...decoded.split(/\r?\n/).map(line => line.trim()));
      }
      for (const value of Object.values(object.stringData ?? {})) {
        if (typeof value !== 'string') continue;
        values.push(value, Buffer.from(value, 'utf8').toString('base64'));
        values.push(...value.split(/\r?\n/).map(line => line.trim()));
      }
    }
    return new SecretRedactor(values);
  }

  get size(): number {
    return this.values.length;
  }

  redact(text: string): string {
    let out = text;
    for (const value of this.values) {
      if (out.includes(value)) out = out.split(value).join('***');
    }
    return out;
  }

  /** The same error with its message (and stack) redacted. */
  redactError<T>(error: T): T {
    if (error instanceof Error) {
      error.message = this.redact(error.message);
      if (error.stack) error.stack = this.redact(error.stack);
    }
    return error;
  }

  /** A logger that redacts every message and metadata value before it is written. */
  wrap(logger: LoggerService): LoggerService {
    const clean = (meta?: any) =>
      meta === undefined
        ? undefined
        : JSON.parse(this.redact(JSON.stringify(meta)));
    const wrapped: LoggerService = {
      info: (message, meta) => logger.info(this.redact(message), clean(meta)),
      warn: (message, meta) => logger.warn(this.redact(message), clean(meta)),
      error: (message, meta) => logger.error(this.redact(message), clean(meta)),
      debug: (message, meta) => logger.debug(this.redact(message), clean(meta)),
      child: meta => this.wrap(logger.child(clean(meta))),
    };
    return wrapped;
  }
}

/**
 * A Secret as it should be applied: `stringData` merged into base64 `data`.
 * With server-side apply, `stringData` is not idempotent (the server moves
 * it into `data`, so every re-apply looks like a change, and removed keys
 * linger; kubernetes#108008).
 */
export function normalizeSecret(object: KubeObject): KubeObject {
  if (!isSecret(object) || !object.stringData) return object;
  const { stringData, ...rest } = object;
  const data: Record<string, string> = { ...(object.data ?? {}) };
  for (const [key, value] of Object.entries(
    stringData as Record<string, string>,
  )) {
    data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  }
  return { ...rest, data } as KubeObject;
}

export { isSecret };
