import { mockServices } from '@backstage/backend-test-utils';
import { KubeObject } from '@internal/backstage-plugin-lambda-pipeline-node';
import { normalizeSecret, SecretRedactor } from './secrets';

const secret: KubeObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's' },
  data: { token: Buffer.from('tok-3f9a1c').toString('base64') },
  stringData: {
    password: 'hunter2-xyz',
    key: '-----BEGIN KEY-----\nMIIBVwIBADANBg\n-----END KEY-----',
  },
};

describe('SecretRedactor', () => {
  const redactor = SecretRedactor.fromObjects([
    secret,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { a: 'public-value' },
    },
  ]);

  it('hides data (both forms), stringData and each line of a multi-line value', () => {
    const text = `a tok-3f9a1c b ${
      secret.data.token
    } c hunter2-xyz d ${Buffer.from('hunter2-xyz').toString(
      'base64',
    )} e MIIBVwIBADANBg f public-value`;
    expect(redactor.redact(text)).toBe(
      'a *** b *** c *** d *** e *** f public-value',
    );
  });

  it('redacts errors and every logger call', () => {
    const error = redactor.redactError(new Error('bad label "hunter2-xyz"'));
    expect(error.message).toBe('bad label "***"');
    const logger = mockServices.logger.mock();
    redactor
      .wrap(logger)
      .info('password hunter2-xyz', { detail: 'tok-3f9a1c' });
    expect(logger.info).toHaveBeenCalledWith('password ***', { detail: '***' });
  });
});

describe('normalizeSecret', () => {
  it('moves stringData into base64 data (server-side apply is not idempotent with stringData)', () => {
    const out = normalizeSecret(secret);
    expect(out.stringData).toBeUndefined();
    expect(Buffer.from(out.data.password, 'base64').toString()).toBe(
      'hunter2-xyz',
    );
    expect(out.data.token).toBe(secret.data.token);
  });
});
