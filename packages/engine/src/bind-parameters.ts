import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  LIST,
  listValue,
  SQLNULL,
  VARCHAR,
} from '@duckdb/node-api';
import type { JsonValue } from '@repo/contracts';
import { EngineError } from './engine-error';

interface Typed {
  value: DuckDBValue;
  type: DuckDBType;
}

function badParameter(name: string, problem: string): EngineError {
  return new EngineError('query_error', `Parameter $${name} ${problem}.`, {
    details: [`parameters.${name}`],
  });
}

/** The common type of a list's items: numbers widen to DOUBLE, nulls fit anything. */
function commonType(name: string, types: DuckDBType[]): DuckDBType {
  let result: DuckDBType = SQLNULL;
  for (const type of types) {
    const current = result.toString();
    const next = type.toString();
    if (type.typeId === DuckDBTypeId.SQLNULL || current === next) continue;
    if (result.typeId === DuckDBTypeId.SQLNULL) result = type;
    else if ([current, next].every((t) => t === 'BIGINT' || t === 'DOUBLE')) result = DOUBLE;
    else throw badParameter(name, `mixes values of different types (${current} and ${next}) in one list`);
  }
  return result;
}

/** JSON string → VARCHAR, integer → BIGINT, other number → DOUBLE, boolean, null, array → LIST. */
export function toDuckDBParameter(name: string, value: JsonValue): Typed {
  if (value === null) return { value: null, type: SQLNULL };
  if (typeof value === 'string') return { value, type: VARCHAR };
  if (typeof value === 'boolean') return { value, type: BOOLEAN };
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? { value: BigInt(value), type: BIGINT } : { value, type: DOUBLE };
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => toDuckDBParameter(name, item));
    const itemType = commonType(
      name,
      items.map((item) => item.type),
    );
    const values = items.map((item) =>
      itemType.typeId === DuckDBTypeId.DOUBLE && typeof item.value === 'bigint'
        ? Number(item.value)
        : item.value,
    );
    return { value: listValue(values), type: LIST(itemType) };
  }
  throw badParameter(name, 'is an object; use a string, number, boolean, null or a list of those');
}

function expectedType(prepared: DuckDBPreparedStatement, index: number): DuckDBType | null {
  try {
    return prepared.parameterType(index);
  } catch {
    // DuckDB could not infer it (e.g. `SELECT $x`): any type goes.
    return null;
  }
}

/**
 * Binds every parameter of `prepared` by name. DuckDB casts a scalar to the type the query
 * needs (a string to a DATE), but not the items of a list: `list_contains($days, day)` with
 * ['2024-06-01'] would fail as VARCHAR[] against DATE. So a list whose type differs from the
 * one DuckDB inferred is cast by DuckDB itself first, then bound with the inferred type.
 */
export async function bindParameters(
  connection: DuckDBConnection,
  prepared: DuckDBPreparedStatement,
  params: Record<string, JsonValue>,
): Promise<void> {
  for (let index = 1; index <= prepared.parameterCount; index += 1) {
    const name = prepared.parameterName(index);
    if (/^\d+$/.test(name)) {
      throw new EngineError(
        'query_error',
        'Positional parameters ($1 or ?) are not supported; use named parameters like $month.',
      );
    }
    if (!Object.hasOwn(params, name)) throw badParameter(name, 'has no value; pass it in parameters');
    const { value, type } = toDuckDBParameter(name, params[name] ?? null);
    const expected = expectedType(prepared, index);
    const isList = expected?.typeId === DuckDBTypeId.LIST || expected?.typeId === DuckDBTypeId.ARRAY;
    if (expected && isList && type.typeId === DuckDBTypeId.LIST && expected.toString() !== type.toString()) {
      const cast = await connection.runAndReadAll(
        `SELECT CAST($v AS ${expected.toString()})`,
        { v: value },
        { v: type },
      );
      prepared.bindValue(index, cast.getRows()[0]?.[0] ?? null, expected);
    } else {
      prepared.bindValue(index, value, type);
    }
  }
}
