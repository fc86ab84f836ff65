import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobSnapshot } from './stack';

/** What each scenario reports; `null` where a figure does not apply. */
export interface Figures {
  /** Jobs the API answered 202 for. */
  accepted: number;
  succeeded: number;
  failed: number;
  /** Accepted jobs that were missing or had not ended by the scenario's deadline. */
  lost: number;
  /** Jobs a worker took more than once (BullMQ's attemptsStarted above 1). */
  runTwice: number;
  /** From the fault to the service doing the work again (scenario-specific, see its note). */
  recoveryMs: number | null;
  /** Anything else worth a number (latencies, counts), and one line on what was measured. */
  extra?: Record<string, number | string | boolean | null>;
  note?: string;
}

/** Where each scenario leaves its figures for the run's summary (emptied when a run starts). */
export function reportDir(): string {
  return join(tmpdir(), 'analytics-faults-report');
}

/** Counts the outcome of every accepted job. */
export function tally(accepted: Iterable<string>, snapshots: Map<string, JobSnapshot>) {
  let succeeded = 0;
  let failed = 0;
  let lost = 0;
  let runTwice = 0;
  const failures: string[] = [];
  for (const id of accepted) {
    const job = snapshots.get(id);
    if (!job || (job.state !== 'succeeded' && job.state !== 'failed')) lost += 1;
    else if (job.state === 'succeeded') succeeded += 1;
    else {
      failed += 1;
      failures.push(`${id}: ${job.failedReason}`);
    }
    if (job && job.started > 1) runTwice += 1;
  }
  return { succeeded, failed, lost, runTwice, failures };
}

/** Prints the scenario's figures and keeps them for the run's summary table. */
export function reportFigures(scenario: string, figures: Figures): void {
  const dir = reportDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${scenario.replace(/[^A-Za-z0-9-]+/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ scenario, ...figures }, null, 2));
  console.log(`[faults] ${scenario}\n${JSON.stringify(figures, null, 2)}`);
}

/** The summary table of every scenario that reported in this run. */
export function summaryTable(): string {
  const dir = reportDir();
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return '';
  }
  const rows = files
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Figures & { scenario: string });
  const cell = (v: unknown) => (v === null || v === undefined ? '–' : String(v));
  const lines = [
    '| scenario | accepted | succeeded | failed | lost | run twice | recovery (ms) | other |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows
      .map((r) =>
        [
          r.scenario,
          r.accepted,
          r.succeeded,
          r.failed,
          r.lost,
          r.runTwice,
          r.recoveryMs === null ? null : Math.round(r.recoveryMs),
          Object.entries(r.extra ?? {})
            .map(([k, v]) => `${k}=${cell(v)}`)
            .join(', '),
        ]
          .map(cell)
          .join(' | '),
      )
      .map((line) => `| ${line} |`),
  ];
  return lines.join('\n');
}
