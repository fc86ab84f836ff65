import { createReadStream, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { Dataset, Page } from '../types';
import { contentTypeForFile } from '../upload-body';
import {
  allowOnly,
  flag,
  idArgument,
  type ParsedArgs,
  positiveInteger,
  stringOption,
  UsageError,
} from './cli-args';
import { type CliContext, EXIT } from './cli-context';
import { bytes, json, table } from './render';

function describeDataset(dataset: Dataset): string {
  return (
    `${dataset.dataset_id}  "${dataset.name}": ${dataset.row_count} rows, ${dataset.columns.length} columns, ` +
    `${bytes(dataset.size_bytes)}, created ${dataset.created_at}\n` +
    table(
      ['column', 'type', 'nulls'],
      dataset.columns.map((c) => [c.name, c.dtype, c.null_count]),
    )
  );
}

export function printPage<T>(
  ctx: CliContext,
  page: Page<T>,
  headers: string[],
  row: (item: T) => (string | number | null)[],
  more: string,
): void {
  if (ctx.json) {
    ctx.stdout.write(json(page));
    return;
  }
  ctx.stdout.write(table(headers, page.data.map(row)));
  if (page.next_cursor) ctx.stdout.write(`(more: ${more} --cursor ${page.next_cursor})\n`);
}

/** One page, or with --all every page gathered into one. */
export async function pageOrAll<T>(
  args: ParsedArgs,
  list: (cursor: string | undefined) => Promise<Page<T>>,
): Promise<Page<T>> {
  if (!flag(args, 'all')) return list(stringOption(args, 'cursor'));
  const data: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    data.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return { data, next_cursor: null };
}

async function upload(ctx: CliContext, args: ParsedArgs): Promise<number> {
  allowOnly(args, 'datasets upload', ['name', 'content-type']);
  const path = args.positionals[2];
  if (path === undefined)
    throw new UsageError('"datasets upload" needs a file: analytics datasets upload sales.csv');
  if (args.positionals.length > 3) throw new UsageError(`unexpected ${JSON.stringify(args.positionals[3])}`);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    // reported below
  }
  if (!isFile) throw new UsageError(`${path}: no such file`);
  const contentType = stringOption(args, 'content-type') ?? contentTypeForFile(path);
  if (!contentType) {
    throw new UsageError(
      `Cannot tell the format of ${path} from its extension: use .csv, .ndjson, .jsonl, .json or .parquet, or give --content-type.`,
    );
  }
  const name = stringOption(args, 'name') ?? basename(path, extname(path));
  const dataset = await ctx
    .client()
    .datasets.upload(createReadStream(path), { name, contentType, signal: ctx.signal });
  if (ctx.json) ctx.stdout.write(json(dataset));
  else if (ctx.quiet) ctx.stdout.write(`${dataset.dataset_id}\n`);
  else ctx.stdout.write(describeDataset(dataset));
  return EXIT.ok;
}

/** `analytics datasets upload|list|get|schema|delete …` */
export async function datasetsCommand(ctx: CliContext, args: ParsedArgs): Promise<number> {
  const action = args.positionals[1];
  const datasets = () => ctx.client().datasets;
  switch (action) {
    case 'upload':
      return upload(ctx, args);
    case 'list': {
      allowOnly(args, 'datasets list', ['limit', 'cursor', 'all']);
      const limit = positiveInteger(args, 'limit');
      const page = await pageOrAll(args, (cursor) => datasets().list({ limit, cursor, signal: ctx.signal }));
      printPage(
        ctx,
        page,
        ['dataset_id', 'name', 'rows', 'columns', 'size', 'created_at'],
        (d) => [d.dataset_id, d.name, d.row_count, d.columns.length, bytes(d.size_bytes), d.created_at],
        'analytics datasets list',
      );
      return EXIT.ok;
    }
    case 'get': {
      allowOnly(args, 'datasets get', []);
      const dataset = await datasets().get(idArgument(args, 2, 'dset', 'datasets get'), {
        signal: ctx.signal,
      });
      ctx.stdout.write(ctx.json ? json(dataset) : describeDataset(dataset));
      return EXIT.ok;
    }
    case 'schema': {
      allowOnly(args, 'datasets schema', []);
      const schema = await datasets().schema(idArgument(args, 2, 'dset', 'datasets schema'), {
        signal: ctx.signal,
      });
      ctx.stdout.write(
        ctx.json
          ? json(schema)
          : table(
              ['column', 'type', 'nulls'],
              schema.columns.map((c) => [c.name, c.dtype, c.null_count]),
            ),
      );
      return EXIT.ok;
    }
    case 'delete': {
      allowOnly(args, 'datasets delete', []);
      const id = idArgument(args, 2, 'dset', 'datasets delete');
      await datasets().delete(id, { signal: ctx.signal });
      if (!ctx.quiet)
        ctx.stdout.write(ctx.json ? json({ dataset_id: id, deleted: true }) : `Deleted ${id}\n`);
      return EXIT.ok;
    }
    default:
      throw new UsageError(
        action === undefined
          ? '"datasets" needs an action: upload, list, get, schema or delete.'
          : `Unknown action "datasets ${action}": upload, list, get, schema or delete.`,
      );
  }
}
