// Unit tests of the Arrow -> JSON rowset transcoding (no running services).
import fs from 'node:fs';
import path from 'node:path';
import { Type } from 'apache-arrow';
import { bareMessage, toJsonResult } from './protocol.ts';
import {
  arrowToRowset,
  encodeValue,
  nanosToSeconds,
  scaledToDecimal,
  type RowtypeColumn,
} from './transcode.ts';

// A SELECT over every common type, answered by fakesnow 0.12.1 and recorded as is.
const fixture: { rowtype: RowtypeColumn[]; rowsetBase64: string } = JSON.parse(
  fs.readFileSync(
    path.join(__dirname, 'fixtures', 'fakesnow-types.json'),
    'utf8',
  ),
);

describe('scaledToDecimal / nanosToSeconds', () => {
  it('writes scaled integers with exactly `scale` fraction digits', () => {
    expect(scaledToDecimal(1234n, 2)).toBe('12.34');
    expect(scaledToDecimal(-105n, 2)).toBe('-1.05');
    expect(scaledToDecimal(5n, 3)).toBe('0.005');
    expect(scaledToDecimal(-5n, 3)).toBe('-0.005');
    expect(scaledToDecimal(42n, 0)).toBe('42');
  });

  it('floors instants before the epoch so the driver reads the right second', () => {
    expect(nanosToSeconds(1_704_164_645_123_456_000n, 9)).toBe(
      '1704164645.123456000',
    );
    expect(nanosToSeconds(1_704_164_645_123_456_000n, 3)).toBe(
      '1704164645.123',
    );
    expect(nanosToSeconds(-500_000_000n, 9)).toBe('-0.500000000');
    // -1.5 ms at millisecond scale floors to -2 ms
    expect(nanosToSeconds(-1_500_000n, 3)).toBe('-0.002');
    expect(nanosToSeconds(7n * 1_000_000_000n, 0)).toBe('7');
  });
});

describe('arrowToRowset on a fakesnow answer', () => {
  const rows = arrowToRowset(fixture.rowsetBase64, fixture.rowtype);
  const byName = (row: (string | null)[]) =>
    Object.fromEntries(
      fixture.rowtype.map((column, i) => [column.name, row[i]]),
    );

  it('keeps the row count and encodes every value as a string in the JSON result format', () => {
    expect(rows).toHaveLength(3);
    expect(byName(rows[1])).toEqual({
      ID: '1',
      AMOUNT: '12.34',
      BIG: '123456789012345678',
      RATIO: '0.25',
      NAME: 'héllo',
      ACTIVE: '1',
      DAY: '19724', // 2024-01-02
      TS: '1704164645.123456000',
      TS_TZ: '1704164645.500000000 1440',
      TM: '36672.500000000', // 10:11:12.5
      PAYLOAD: '{"a":[1,null]}',
      BYTES: 'ABCD',
    });
  });

  it('handles negatives, empty values and instants before 1970', () => {
    expect(byName(rows[0])).toEqual({
      ID: '-5',
      AMOUNT: '-1.05',
      BIG: '-1',
      RATIO: '-0.5',
      NAME: '',
      ACTIVE: '0',
      DAY: '-1', // 1969-12-31
      TS: '-0.500000000', // 1969-12-31 23:59:59.5
      TS_TZ: '0.000000000 1440',
      TM: '0.000000000',
      PAYLOAD: '"x"',
      BYTES: '',
    });
  });

  it('turns NULLs (including the timestamp structs with a null epoch) into null', () => {
    expect(rows[2]).toEqual(new Array(fixture.rowtype.length).fill(null));
  });

  it('returns no rows for an empty rowsetBase64', () => {
    expect(arrowToRowset('', fixture.rowtype)).toEqual([]);
  });
});

describe('encodeValue fallbacks', () => {
  const utf8 = { typeId: Type.Utf8 };
  it('reads temporal values that an engine sent as text', () => {
    expect(encodeValue('2024-01-02', utf8, { name: 'D', type: 'date' })).toBe(
      '19724',
    );
    expect(
      encodeValue('2024-01-02 03:04:05.5', utf8, {
        name: 'T',
        type: 'timestamp_ntz',
        scale: 3,
      }),
    ).toBe('1704164645.500');
    expect(
      encodeValue('2024-01-02 05:04:05+02:00', utf8, {
        name: 'T',
        type: 'timestamp_tz',
        scale: 0,
      }),
    ).toBe('1704164645 1560');
    expect(
      encodeValue('10:11:12.5', utf8, { name: 'T', type: 'time', scale: 1 }),
    ).toBe('36672.5');
  });

  it('writes special floats the way Number() reads them back', () => {
    const float = { typeId: Type.Float };
    expect(encodeValue(Infinity, float, { name: 'F', type: 'real' })).toBe(
      'Infinity',
    );
    expect(
      Number.isNaN(
        Number(encodeValue(NaN, float, { name: 'F', type: 'real' })),
      ),
    ).toBe(true);
  });
});

describe('toJsonResult', () => {
  it('replaces rowsetBase64 by rowset and adds what the Node driver reads', () => {
    const answer = {
      success: true,
      data: {
        parameters: [{ name: 'TIMEZONE', value: 'Etc/UTC' }],
        rowtype: fixture.rowtype,
        total: 3,
        queryId: 'q-1',
        queryResultFormat: 'arrow',
        rowsetBase64: fixture.rowsetBase64,
      },
    };
    const json = toJsonResult(answer, {
      clientParameters: { JS_TREAT_INTEGER_AS_BIGINT: true },
      warehouse: 'WH',
    });
    expect(json.data.rowsetBase64).toBeUndefined();
    expect(json.data.queryResultFormat).toBe('json');
    expect(json.data.rowset).toHaveLength(3);
    expect(json.data.returned).toBe(3);
    expect(json.data.version).toBe(1);
    expect(json.data.finalWarehouseName).toBe('WH');
    const parameters = Object.fromEntries(
      json.data.parameters.map((p: any) => [p.name, p.value]),
    );
    expect(parameters.JS_TREAT_INTEGER_AS_BIGINT).toBe(true);
    expect(parameters.BINARY_OUTPUT_FORMAT).toBe('HEX');
    expect(parameters.TIMEZONE).toBe('Etc/UTC');
  });

  it('drops the Python connector prefix from error messages', () => {
    expect(
      bareMessage(
        '002003 (42S02): Catalog Error: Table with name X does not exist!',
      ),
    ).toBe('Catalog Error: Table with name X does not exist!');
    expect(bareMessage('plain')).toBe('plain');
  });
});
