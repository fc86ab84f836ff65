import { summaryTable } from './figures';

/** Prints every scenario's figures as one table at the end of the run. */
export default function globalTeardown(): void {
  const table = summaryTable();
  if (table) process.stdout.write(`\nFault scenarios, figures of this run:\n\n${table}\n\n`);
}
