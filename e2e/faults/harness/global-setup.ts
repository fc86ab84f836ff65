import { rmSync } from 'node:fs';
import { reportDir } from './figures';

/** Each run reports afresh. */
export default function globalSetup(): void {
  rmSync(reportDir(), { recursive: true, force: true });
}
