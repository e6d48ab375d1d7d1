import { KubernetesApiError, toKubernetesApiError } from './errors';

describe('toKubernetesApiError', () => {
  it("keeps the server's Status and drops the rest of the response", () => {
    const error = toKubernetesApiError({
      code: 422,
      message:
        'HTTP-Code: 422 Message: Unsuccessful HTTP Request Body: {...} Headers: {"authorization":"Bearer abc"}',
      body: JSON.stringify({
        kind: 'Status',
        reason: 'Invalid',
        message:
          'Deployment.apps "x" is invalid: spec.template.spec.containers[0].name: Invalid value: "Bad_Name"',
        details: {
          causes: [
            {
              reason: 'FieldValueInvalid',
              field: 'spec.template.spec.containers[0].name',
              message: 'Invalid value',
            },
          ],
        },
      }),
    });
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect(error.code).toBe(422);
    expect(error.reason).toBe('Invalid');
    expect(error.message).toMatch(/^Deployment.apps "x" is invalid/);
    expect(error.message).not.toContain('Bearer');
    expect(error.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.template.spec.containers[0].name',
        message: 'Invalid value',
      },
    ]);
  });

  it('names an unreachable server as such', () => {
    const error = toKubernetesApiError(
      Object.assign(
        new Error('request to https://127.0.0.1:1/version failed'),
        { cause: { code: 'ECONNREFUSED' } },
      ),
    );
    expect(error.reason).toBe('Unreachable');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('falls back to the HTTP code when the body is not a Status', () => {
    expect(toKubernetesApiError({ code: 503, body: '<html>' }).message).toBe(
      'HTTP 503',
    );
  });
});
