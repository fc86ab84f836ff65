import { readFile } from 'node:fs/promises';

/**
 * A process's resident memory in bytes (Linux's /proc/<pid>/status VmRSS), or null where it
 * cannot be read (another system, a process already gone). This is what the kernel's OOM
 * killer weighs: DuckDB's memory_limit covers its buffer manager, not everything it allocates.
 */
export async function residentBytesOf(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  } catch {
    return null;
  }
}
