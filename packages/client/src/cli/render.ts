import type { Job, JsonValue } from '../types';

const MAX_CELL = 60;

/** A value as one table cell: text as is, the rest as JSON; long cells cut with an ellipsis. */
export function cell(value: JsonValue | undefined): string {
  const text =
    value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  const oneLine = text.replace(/\r?\n/g, '\\n');
  return oneLine.length > MAX_CELL ? `${oneLine.slice(0, MAX_CELL - 1)}…` : oneLine;
}

/** A plain-text table: a header, then rows; numeric columns aligned right. */
export function table(headers: string[], rows: JsonValue[][]): string {
  const cells = rows.map((row) => headers.map((_, i) => cell(row[i])));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === 'number' || row[i] === null),
  );
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...cells.map((row) => row[i]?.length ?? 0)),
  );
  const line = (values: string[]) =>
    values
      .map((value, i) => (numeric[i] ? value.padStart(widths[i] ?? 0) : value.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')}\n`;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function bytes(size: number): string {
  if (size < 1024) return `${size} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export interface Terminal {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

type ShownJob = Pick<Job, 'job_id' | 'status' | 'progress' | 'progress_measured'>;

/**
 * Whether the job runs with nothing measured: its `progress` (0) then says nothing about the
 * work done, and is shown as such rather than as 0%. (A server older than the field: as before.)
 */
export function progressUnmeasured(job: Pick<Job, 'status' | 'progress_measured'>): boolean {
  return job.status === 'running' && job.progress_measured === false;
}

/** A job's progress as a table cell: the percentage, or `not measured`. */
export function progressCell(job: Pick<Job, 'status' | 'progress' | 'progress_measured'>): number | string {
  return progressUnmeasured(job) ? 'not measured' : job.progress;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** How often the spinner turns while a job runs with its progress not measured. */
const SPINNER_MS = 120;

/**
 * Shows a job's progress on stderr: on a terminal one live bar redrawn in place, else one
 * plain line per change (`job_… running 42%`), which logs and CI read well. While the job
 * runs with its progress not measured, a spinner takes the bar's place on a terminal (turned
 * by a timer, as updates may not come), and the line says `(progress not measured)`.
 */
export class ProgressReporter {
  private drawn = false;
  private spinning: NodeJS.Timeout | undefined;
  private frame = 0;

  constructor(private readonly out: Terminal) {}

  get live(): boolean {
    return this.out.isTTY === true;
  }

  update(job: Job): void {
    if (!this.live) {
      const shown = progressUnmeasured(job) ? '(progress not measured)' : `${job.progress}%`;
      this.out.write(`${job.job_id} ${job.status} ${shown}\n`);
      return;
    }
    this.stopSpinner();
    this.draw(job);
    if (progressUnmeasured(job)) {
      this.spinning = setInterval(() => {
        this.frame += 1;
        this.draw(job);
      }, SPINNER_MS);
      this.spinning.unref?.();
    }
  }

  /** Ends the bar's line so that what follows starts on its own. */
  finish(): void {
    this.stopSpinner();
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }

  private draw(job: Job): void {
    this.out.write(`\r${progressBar(job, this.out.columns || 80, this.frame)}\x1b[K`);
    this.drawn = true;
  }

  private stopSpinner(): void {
    clearInterval(this.spinning);
    this.spinning = undefined;
  }
}

/**
 * `job_… running  [██████░░░░░░░░░░░░]  37%`, fitted into `columns`; while the progress is
 * not measured, `job_… running   ⠹ progress not measured` (`frame` turns the spinner).
 */
export function progressBar(job: ShownJob, columns: number, frame = 0): string {
  const label = `${job.job_id} ${job.status.padEnd(9)}`;
  if (progressUnmeasured(job)) {
    return `${label} ${SPINNER[frame % SPINNER.length]} progress not measured`;
  }
  const percent = Math.max(0, Math.min(100, Math.round(job.progress)));
  const tail = ` ${String(percent).padStart(3)}%`;
  const width = Math.max(10, Math.min(40, columns - label.length - tail.length - 4));
  const filled = Math.round((percent / 100) * width);
  return `${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}]${tail}`;
}
