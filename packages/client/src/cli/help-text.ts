/** `--help` of every command; `analytics <command> --help` prints the entry for that command. */

const CONNECTION = `Connection (every command):
  --url URL      the API (or ANALYTICS_URL; default http://127.0.0.1:3000)
  --key KEY      the API key (or ANALYTICS_API_KEY)
  --json         print the API's JSON instead of a table
  -q, --quiet    print only the id (upload, save, run --async), no progress
  -h, --help     this help`;

export const EXIT_CODES = `Exit codes:
  0  done                        3  the API could not be reached
  1  the query or job failed     4  the API refused the request (the message says why)
  2  a usage error               5  --wait-timeout-ms passed (the job goes on)
  130  interrupted (Ctrl-C; a job goes on: analytics jobs cancel job_…)`;

export const HELP: Record<string, string> = {
  '': `analytics: the Analytics Jobs API from the command line.

Usage: analytics <command> [options]

Commands:
  datasets upload <file> [--name NAME]     upload a CSV, NDJSON, JSON or Parquet file
  datasets list | get | schema | delete    your datasets
  queries save --name NAME --sql SQL       save a query (or --file query.json)
  queries list | get | delete              your saved queries
  run <qry_…> [--param name=value]…        run a query and print its results
  jobs get | list | wait | cancel          follow your jobs
  jobs results <job_…> [--format csv]      a job's results

${CONNECTION}

${EXIT_CODES}

"analytics <command> --help" tells more about a command.`,

  datasets: `Usage: analytics datasets <upload|list|get|schema|delete> …

  upload <file> [--name NAME] [--content-type TYPE]
  list [--limit N] [--cursor C] [--all]
  get <dset_…>
  schema <dset_…>
  delete <dset_…>`,

  'datasets upload': `Usage: analytics datasets upload <file> [--name NAME] [--content-type TYPE]

Streams the file to the API, which stores it as Parquet and infers its columns; prints the
dataset (-q: its id alone).

  --name NAME          the dataset's name (default: the file's name without extension)
  --content-type TYPE  text/csv, application/x-ndjson, application/json or
                       application/vnd.apache.parquet (default: from the extension
                       .csv, .ndjson, .jsonl, .json, .parquet)`,

  'datasets list': `Usage: analytics datasets list [--limit N] [--cursor C] [--all]

Your datasets, newest first. One page (--limit, 1–100) unless --all.`,
  'datasets get': 'Usage: analytics datasets get <dset_…>\n\nThe dataset and its columns.',
  'datasets schema':
    "Usage: analytics datasets schema <dset_…>\n\nThe dataset's columns: name, type, null count.",
  'datasets delete': 'Usage: analytics datasets delete <dset_…>\n\nDeletes the dataset and its file.',

  queries: `Usage: analytics queries <save|list|get|delete> …

  save --name NAME (--sql SQL | --file FILE) [--dataset dset_…] [--description TEXT]
  list [--limit N] [--cursor C] [--all]
  get <qry_…>
  delete <qry_…>`,

  'queries save': `Usage: analytics queries save --name NAME (--sql SQL | --file FILE) [--dataset dset_…]

Saves a query; prints its id (-q: the id alone).

  --sql SQL            one SELECT over the table "dataset", with $name parameters
  --file FILE          a .sql file, or a .json file holding the structured form: either the
                       whole body ({"name", "query": {...}, "dataset_id"}) or the query
                       object alone ({"group_by": [...], "aggregates": [...], ...})
  --name NAME          the query's name (may come from the JSON file)
  --dataset dset_…     bind a default dataset (checks the query's columns against it)
  --description TEXT`,
  'queries list': `Usage: analytics queries list [--limit N] [--cursor C] [--all]

Your saved queries, newest first.`,
  'queries get':
    'Usage: analytics queries get <qry_…>\n\nThe saved query, its SQL or structured form and its parameters.',
  'queries delete': 'Usage: analytics queries delete <qry_…>',

  run: `Usage: analytics run <qry_…> [--param name=value]… [options]

Runs a saved query and prints its results as a table (--json: the API's JSON).

  --param name=value       a parameter; repeat for each. A value that reads as JSON (250,
                           true, null, [1,2], "quoted") is sent as that value, else as text
  --dataset dset_…         run over another dataset than the query's own
  --wait                   run it as a job and follow it with a progress bar until it ends
  --async                  only submit the job; print its id and return (with --wait: as --wait)
  --priority P             interactive (default) or batch
  --timeout-ms N           stop the query after N ms (it fails with error_code timeout)
  --wait-timeout-ms N      stop waiting after N ms (exit 5; the job goes on)
  --idempotency-key K      the same key and run within 24 h give the same job

Without --wait or --async the run is synchronous; if the API answers that it is still
running (SYNC_WAIT_MS) the command follows the job like --wait. Progress goes to stderr: a
live bar on a terminal, plain lines otherwise. Exit 1 when the query fails.`,

  jobs: `Usage: analytics jobs <get|list|wait|cancel|results> …

  get <job_…>
  list [--status S] [--query qry_…] [--limit N] [--cursor C] [--all]
  wait <job_…> [--wait-timeout-ms N]
  cancel <job_…>
  results <job_…> [--format table|json|csv|ndjson] [--limit N] [--cursor C]`,
  'jobs get':
    'Usage: analytics jobs get <job_…>\n\nThe job: status, progress, error, and its results (table) once it succeeded.',
  'jobs list': `Usage: analytics jobs list [--status S] [--query qry_…] [--limit N] [--cursor C] [--all]

Your jobs, newest first. --status is queued, running, succeeded or failed.`,
  'jobs wait': `Usage: analytics jobs wait <job_…> [--wait-timeout-ms N]

Follows the job with a progress bar until it ends, then prints its results.
Exit 1 if it failed, 5 if --wait-timeout-ms passed first.`,
  'jobs cancel': `Usage: analytics jobs cancel <job_…>

Cancels a queued or running job. The API answers 409 (exit 4) if it had already ended.`,
  'jobs results': `Usage: analytics jobs results <job_…> [--format table|json|csv|ndjson] [--limit N] [--cursor C]

  --format table   one page as a table (default)
  --format json    one page as JSON ({columns, rows, row_count, next_cursor})
  --format csv     the whole result as CSV (RFC 4180, CRLF), streamed: > out.csv
  --format ndjson  the whole result, one JSON object per line
  --limit N        rows per page (1–10000) for table and json
  --cursor C       the page after the one that gave next_cursor C`,
};

export function helpFor(command: string): string {
  const text = HELP[command] ?? HELP[command.split(' ')[0] ?? ''] ?? HELP[''] ?? '';
  return command === '' ? `${text}\n` : `${text}\n\n${CONNECTION}\n`;
}
