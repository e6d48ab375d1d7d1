import { icebergTypeName, parseIcebergMetadata } from './iceberg';

describe('Iceberg metadata', () => {
  it('reads the current schema, default partition spec and current snapshot (format v2)', () => {
    const facts = parseIcebergMetadata({
      'format-version': 2,
      location: 's3://lake/warehouse/orders_eu/orders',
      'current-schema-id': 1,
      schemas: [
        { 'schema-id': 0, fields: [{ id: 1, name: 'old', type: 'int' }] },
        {
          'schema-id': 1,
          fields: [
            { id: 1, name: 'order_id', required: true, type: 'long' },
            { id: 2, name: 'amount', type: 'decimal(12, 2)', doc: 'total' },
            { id: 3, name: 'updated_at', type: 'timestamptz' },
            {
              id: 4,
              name: 'tags',
              type: { type: 'list', 'element-id': 5, element: 'string' },
            },
          ],
        },
      ],
      'default-spec-id': 1,
      'partition-specs': [
        { 'spec-id': 0, fields: [] },
        {
          'spec-id': 1,
          fields: [
            { 'source-id': 3, transform: 'day', name: 'updated_at_day' },
            { 'source-id': 1, transform: 'bucket[16]', name: 'b' },
          ],
        },
      ],
      'current-snapshot-id': 22,
      snapshots: [
        { 'snapshot-id': 11, summary: { 'total-records': '1' } },
        {
          'snapshot-id': 22,
          summary: {
            'total-records': '120',
            'total-files-size': '4096',
            'total-data-files': '3',
          },
        },
      ],
      'last-updated-ms': 1764547200000,
    });
    expect(facts).toEqual({
      formatVersion: 2,
      location: 's3://lake/warehouse/orders_eu/orders',
      columns: [
        { name: 'order_id', type: 'long', required: true },
        {
          name: 'amount',
          type: 'decimal(12, 2)',
          required: false,
          doc: 'total',
        },
        { name: 'updated_at', type: 'timestamptz', required: false },
        { name: 'tags', type: 'list<string>', required: false },
      ],
      partitioning: ['day(updated_at)', 'bucket[16](order_id)'],
      rows: 120,
      bytes: 4096,
      files: 3,
      lastUpdatedMs: 1764547200000,
    });
  });

  it('reads format v1 (one schema, one partition spec) and a table without snapshots', () => {
    const facts = parseIcebergMetadata({
      'format-version': 1,
      location: 's3://lake/t',
      schema: { fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
      'partition-spec': [{ 'source-id': 1, transform: 'identity', name: 'id' }],
      'current-snapshot-id': -1,
    });
    expect(facts).toMatchObject({
      formatVersion: 1,
      columns: [{ name: 'id', type: 'long', required: true }],
      partitioning: ['id'],
    });
    expect(facts.rows).toBeUndefined();
  });

  it('names nested types', () => {
    expect(
      icebergTypeName({
        type: 'map',
        key: 'string',
        value: {
          type: 'struct',
          fields: [
            { name: 'a', type: 'int' },
            { name: 'b', type: { type: 'list', element: 'double' } },
          ],
        },
      }),
    ).toBe('map<string,struct<a:int,b:list<double>>>');
  });
});
