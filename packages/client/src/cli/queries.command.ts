import { readFileSync } from 'node:fs';
import type { SaveQueryInput } from '../queries.resource';
import type { StructuredQuery } from '../types';
import {
  allowOnly,
  idArgument,
  type ParsedArgs,
  positiveInteger,
  stringOption,
  UsageError,
} from './cli-args';
import { type CliContext, EXIT } from './cli-context';
import { pageOrAll, printPage } from './datasets.command';
import { json } from './render';

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`${path}: cannot read this file`);
  }
}

/**
 * The query to save: --sql, or --file with SQL (.sql) or JSON: the whole save body
 * (`{"name", "query", "dataset_id"}`, as POST /v1/save takes it) or the structured query alone.
 */
function saveInput(args: ParsedArgs): SaveQueryInput {
  const sql = stringOption(args, 'sql');
  const file = stringOption(args, 'file');
  if ((sql === undefined) === (file === undefined)) {
    throw new UsageError('"queries save" needs --sql SQL or --file FILE (one of them).');
  }
  let fromFile: Partial<SaveQueryInput> = {};
  if (file !== undefined) {
    const text = readText(file);
    if (file.toLowerCase().endsWith('.json')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new UsageError(`${file}: not valid JSON (${error instanceof Error ? error.message : error})`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new UsageError(`${file}: expected a JSON object`);
      }
      const body = parsed as Record<string, unknown>;
      fromFile =
        'query' in body
          ? {
              name: typeof body.name === 'string' ? body.name : undefined,
              description: typeof body.description === 'string' ? body.description : undefined,
              query: body.query as string | StructuredQuery,
              datasetId: typeof body.dataset_id === 'string' ? body.dataset_id : undefined,
            }
          : { query: body as StructuredQuery };
    } else {
      fromFile = { query: text };
    }
  }
  const name = stringOption(args, 'name') ?? fromFile.name;
  if (!name) throw new UsageError('"queries save" needs --name NAME.');
  return {
    name,
    description: stringOption(args, 'description') ?? fromFile.description,
    query: sql ?? (fromFile.query as string | StructuredQuery),
    datasetId: stringOption(args, 'dataset') ?? fromFile.datasetId,
  };
}

/** `analytics queries save|list|get|delete …` */
export async function queriesCommand(ctx: CliContext, args: ParsedArgs): Promise<number> {
  const action = args.positionals[1];
  const queries = () => ctx.client().queries;
  switch (action) {
    case 'save': {
      allowOnly(args, 'queries save', ['name', 'sql', 'file', 'dataset', 'description']);
      if (args.positionals.length > 2)
        throw new UsageError(`unexpected ${JSON.stringify(args.positionals[2])}`);
      const saved = await queries().save(saveInput(args), { signal: ctx.signal });
      if (ctx.json) ctx.stdout.write(json(saved));
      else if (ctx.quiet) ctx.stdout.write(`${saved.query_id}\n`);
      else ctx.stdout.write(`Saved ${saved.query_id} "${saved.name}"\n`);
      return EXIT.ok;
    }
    case 'list': {
      allowOnly(args, 'queries list', ['limit', 'cursor', 'all']);
      const limit = positiveInteger(args, 'limit');
      const page = await pageOrAll(args, (cursor) => queries().list({ limit, cursor, signal: ctx.signal }));
      printPage(
        ctx,
        page,
        ['query_id', 'name', 'dataset_id', 'parameters', 'created_at'],
        (q) => [q.query_id, q.name, q.dataset_id, q.parameters.map((p) => `$${p}`).join(' '), q.created_at],
        'analytics queries list',
      );
      return EXIT.ok;
    }
    case 'get': {
      allowOnly(args, 'queries get', []);
      const query = await queries().get(idArgument(args, 2, 'qry', 'queries get'), { signal: ctx.signal });
      if (ctx.json) {
        ctx.stdout.write(json(query));
        return EXIT.ok;
      }
      const text = typeof query.query === 'string' ? query.query : JSON.stringify(query.query, null, 2);
      ctx.stdout.write(
        `${query.query_id}  "${query.name}"  created ${query.created_at}\n` +
          (query.description ? `${query.description}\n` : '') +
          `dataset: ${query.dataset_id ?? '(none bound: give --dataset when you run it)'}\n` +
          `parameters: ${query.parameters.length > 0 ? query.parameters.map((p) => `$${p}`).join(' ') : '(none)'}\n` +
          `${text}\n`,
      );
      return EXIT.ok;
    }
    case 'delete': {
      allowOnly(args, 'queries delete', []);
      const id = idArgument(args, 2, 'qry', 'queries delete');
      await queries().delete(id, { signal: ctx.signal });
      if (!ctx.quiet) ctx.stdout.write(ctx.json ? json({ query_id: id, deleted: true }) : `Deleted ${id}\n`);
      return EXIT.ok;
    }
    default:
      throw new UsageError(
        action === undefined
          ? '"queries" needs an action: save, list, get or delete.'
          : `Unknown action "queries ${action}": save, list, get or delete.`,
      );
  }
}
