import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  DuckDBUnionValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { JsonValue } from '@repo/contracts';

const NANOS_PER_SECOND = 1_000_000_000n;
/** The range of JS Date, in seconds. */
const MAX_DATE_SECONDS = 8_640_000_000_000n;

function integer(value: bigint | number): JsonValue {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
}

type TimestampLike =
  | DuckDBTimestampValue
  | DuckDBTimestampTZValue
  | DuckDBTimestampSecondsValue
  | DuckDBTimestampMillisecondsValue
  | DuckDBTimestampNanosecondsValue;

function isTimestamp(value: DuckDBValue): value is TimestampLike {
  return (
    value instanceof DuckDBTimestampValue ||
    value instanceof DuckDBTimestampTZValue ||
    value instanceof DuckDBTimestampSecondsValue ||
    value instanceof DuckDBTimestampMillisecondsValue ||
    value instanceof DuckDBTimestampNanosecondsValue
  );
}

function nanosOf(value: TimestampLike): bigint {
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    return value.micros * 1000n;
  }
  if (value instanceof DuckDBTimestampSecondsValue) return value.seconds * NANOS_PER_SECOND;
  if (value instanceof DuckDBTimestampMillisecondsValue) return value.millis * 1_000_000n;
  return value.nanos;
}

/** RFC 3339 in UTC (`2024-06-01T14:22:10Z`), fractional seconds only when not zero. */
function timestamp(value: DuckDBValue): JsonValue {
  if (!isTimestamp(value)) return String(value);
  const nanos = nanosOf(value);
  if (!value.isFinite) return nanos > 0n ? 'infinity' : '-infinity';
  let seconds = nanos / NANOS_PER_SECOND;
  let fraction = nanos % NANOS_PER_SECOND;
  if (fraction < 0n) {
    seconds -= 1n;
    fraction += NANOS_PER_SECOND;
  }
  if (seconds > MAX_DATE_SECONDS || seconds < -MAX_DATE_SECONDS) return String(value);
  const whole = new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  const digits = fraction.toString().padStart(9, '0').replace(/0+$/, '');
  return `${whole}${digits ? `.${digits}` : ''}Z`;
}

function date(value: DuckDBValue): JsonValue {
  if (!(value instanceof DuckDBDateValue)) return String(value);
  if (!value.isFinite) return value.days > 0 ? 'infinity' : '-infinity';
  return value.toString();
}

function map(value: DuckDBValue, type: DuckDBType): JsonValue {
  if (!(value instanceof DuckDBMapValue) || type.typeId !== DuckDBTypeId.MAP) return String(value);
  const result: { [key: string]: JsonValue } = {};
  for (const entry of value.entries) {
    const key = toJsonValue(entry.key, type.keyType);
    result[typeof key === 'string' ? key : JSON.stringify(key)] = toJsonValue(entry.value, type.valueType);
  }
  return result;
}

function struct(value: DuckDBValue, type: DuckDBType): JsonValue {
  if (!(value instanceof DuckDBStructValue) || type.typeId !== DuckDBTypeId.STRUCT) return String(value);
  const result: { [key: string]: JsonValue } = {};
  for (const [key, entry] of Object.entries(value.entries))
    result[key] = toJsonValue(entry, type.typeForEntry(key));
  return result;
}

/**
 * One DuckDB value as JSON, driven by its column type (JS values alone cannot tell a TIME
 * from a BIGINT, and `getRowsJS()` throws on an infinite DATE): integers as numbers when
 * they are safe, else decimal strings; NaN and ±Infinity as null; dates, times and
 * timestamps as ISO strings; BLOBs as base64; lists, structs and maps as arrays and objects.
 */
export function toJsonValue(value: DuckDBValue, type: DuckDBType): JsonValue {
  if (value === null) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return Boolean(value);
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return typeof value === 'bigint' || typeof value === 'number' ? integer(value) : String(value);
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return typeof value === 'number' && Number.isFinite(value) ? value : null;
    case DuckDBTypeId.DECIMAL:
      return value instanceof DuckDBDecimalValue ? value.toDouble() : Number(value);
    case DuckDBTypeId.DATE:
      return date(value);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return timestamp(value);
    case DuckDBTypeId.BLOB:
      return value instanceof DuckDBBlobValue ? Buffer.from(value.bytes).toString('base64') : String(value);
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return value instanceof DuckDBListValue || value instanceof DuckDBArrayValue
        ? value.items.map((item) => toJsonValue(item, type.valueType))
        : String(value);
    case DuckDBTypeId.STRUCT:
      return struct(value, type);
    case DuckDBTypeId.MAP:
      return map(value, type);
    case DuckDBTypeId.UNION:
      return value instanceof DuckDBUnionValue
        ? toJsonValue(value.value, type.memberTypeForTag(value.tag))
        : String(value);
    case DuckDBTypeId.SQLNULL:
      return null;
    default:
      // TIME (HH:MM:SS[.ffffff]), TIME WITH TIME ZONE, INTERVAL, UUID, ENUM, VARCHAR, BIT...
      return String(value);
  }
}
