import {
  BIGINT,
  BLOB,
  BOOLEAN,
  blobValue,
  DATE,
  DECIMAL,
  DOUBLE,
  DuckDBDateValue,
  DuckDBTimestampValue,
  dateValue,
  decimalValue,
  HUGEINT,
  INTEGER,
  LIST,
  listValue,
  MAP,
  mapValue,
  SQLNULL,
  STRUCT,
  structValue,
  TIME,
  TIMESTAMP,
  TIMESTAMP_MS,
  TIMESTAMP_NS,
  TIMESTAMP_S,
  TIMESTAMPTZ,
  timestampMillisValue,
  timestampNanosValue,
  timestampSecondsValue,
  timestampTZValue,
  timestampValue,
  timeValue,
  UBIGINT,
  VARCHAR,
} from '@duckdb/node-api';
import { toJsonValue } from './to-json-value';

/** 2024-06-01T14:22:10Z in microseconds since the epoch. */
const MICROS = 1_717_251_730_000_000n;

describe('toJsonValue', () => {
  it('returns integers as numbers while they are safe, else as decimal strings', () => {
    expect(toJsonValue(42, INTEGER)).toBe(42);
    expect(toJsonValue(9_007_199_254_740_991n, BIGINT)).toBe(9_007_199_254_740_991);
    expect(toJsonValue(9_007_199_254_740_993n, BIGINT)).toBe('9007199254740993');
    expect(toJsonValue(-9_007_199_254_740_993n, BIGINT)).toBe('-9007199254740993');
    expect(toJsonValue(18_446_744_073_709_551_615n, UBIGINT)).toBe('18446744073709551615');
    expect(toJsonValue(2n ** 100n, HUGEINT)).toBe((2n ** 100n).toString());
  });

  it('returns doubles as numbers and NaN or infinities as null', () => {
    expect(toJsonValue(1.5, DOUBLE)).toBe(1.5);
    expect(toJsonValue(Number.NaN, DOUBLE)).toBeNull();
    expect(toJsonValue(Number.POSITIVE_INFINITY, DOUBLE)).toBeNull();
    expect(toJsonValue(Number.NEGATIVE_INFINITY, DOUBLE)).toBeNull();
    expect(toJsonValue(decimalValue(48_320_50n, 10, 2), DECIMAL(10, 2))).toBe(48320.5);
  });

  it('formats dates and timestamps as ISO/RFC 3339 UTC strings', () => {
    expect(toJsonValue(dateValue(19_875), DATE)).toBe('2024-06-01');
    expect(toJsonValue(DuckDBDateValue.PosInf, DATE)).toBe('infinity');
    expect(toJsonValue(timestampValue(MICROS), TIMESTAMP)).toBe('2024-06-01T14:22:10Z');
    expect(toJsonValue(timestampValue(MICROS + 123_450n), TIMESTAMP)).toBe('2024-06-01T14:22:10.12345Z');
    expect(toJsonValue(timestampTZValue(MICROS), TIMESTAMPTZ)).toBe('2024-06-01T14:22:10Z');
    expect(toJsonValue(timestampSecondsValue(1_717_251_730n), TIMESTAMP_S)).toBe('2024-06-01T14:22:10Z');
    expect(toJsonValue(timestampMillisValue(1_717_251_730_500n), TIMESTAMP_MS)).toBe(
      '2024-06-01T14:22:10.5Z',
    );
    expect(toJsonValue(timestampNanosValue(MICROS * 1000n + 1n), TIMESTAMP_NS)).toBe(
      '2024-06-01T14:22:10.000000001Z',
    );
    expect(toJsonValue(timestampValue(-1n), TIMESTAMP)).toBe('1969-12-31T23:59:59.999999Z');
    expect(toJsonValue(DuckDBTimestampValue.PosInf, TIMESTAMP)).toBe('infinity');
    expect(toJsonValue(DuckDBTimestampValue.NegInf, TIMESTAMP)).toBe('-infinity');
  });

  it('formats times, and BLOBs as base64', () => {
    expect(toJsonValue(timeValue(51_730_000_000n), TIME)).toBe('14:22:10');
    expect(toJsonValue(blobValue(new Uint8Array([0, 255, 16])), BLOB)).toBe('AP8Q');
  });

  it('converts lists, structs and maps recursively, typed by their children', () => {
    expect(toJsonValue(listValue([1n, null, 2n ** 60n]), LIST(BIGINT))).toEqual([
      1,
      null,
      '1152921504606846976',
    ]);
    const type = STRUCT({ when: DATE, tags: LIST(VARCHAR), ok: BOOLEAN });
    expect(toJsonValue(structValue({ when: dateValue(0), tags: listValue(['a']), ok: true }), type)).toEqual({
      when: '1970-01-01',
      tags: ['a'],
      ok: true,
    });
    expect(toJsonValue(mapValue([{ key: 'k', value: 1.5 }]), MAP(VARCHAR, DOUBLE))).toEqual({ k: 1.5 });
  });

  it('returns null for NULL of any type', () => {
    expect(toJsonValue(null, BIGINT)).toBeNull();
    expect(toJsonValue(null, SQLNULL)).toBeNull();
  });
});
