import { structuralSchema } from './crds';

describe('structuralSchema', () => {
  it('closes objects unless they preserve unknown fields or declare additionalProperties', () => {
    const out = structuralSchema({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            config: {
              type: 'object',
              'x-kubernetes-preserve-unknown-fields': true,
            },
            labels: {
              type: 'object',
              additionalProperties: { type: 'string' },
            },
            empty: { type: 'object' },
            list: {
              type: 'array',
              items: { type: 'object', properties: { a: {} } },
            },
          },
          oneOf: [{ properties: { config: {} }, required: ['config'] }],
        },
      },
    });
    const spec = out.properties.spec;
    expect(out.additionalProperties).toBe(false);
    expect(spec.additionalProperties).toBe(false);
    expect(spec.properties.config.additionalProperties).toBeUndefined();
    expect(spec.properties.labels.additionalProperties).toEqual({
      type: 'string',
    });
    expect(spec.properties.empty.additionalProperties).toBe(false);
    expect(spec.properties.list.items.additionalProperties).toBe(false);
    // value validations are left alone
    expect(spec.oneOf).toEqual([
      { properties: { config: {} }, required: ['config'] },
    ]);
  });

  it('rewrites int-or-string and nullable', () => {
    expect(
      structuralSchema({ 'x-kubernetes-int-or-string': true, nullable: true }),
    ).toEqual({
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }, { type: 'null' }],
    });
    expect(
      structuralSchema({ type: 'string', enum: ['a'], nullable: true }),
    ).toEqual({ type: ['string', 'null'], enum: ['a', null] });
  });
});
