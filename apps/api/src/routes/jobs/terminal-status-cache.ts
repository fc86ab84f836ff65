import { TERMINAL_STATUSES, type TJobStatus } from '@repo/contracts';
import type { Response } from 'express';

export interface TerminalStatusCacheOptions {
  /** Entries kept at most; the least recently read goes first. */
  maxEntries?: number;
  /** Bytes of serialised bodies kept at most, all entries together. */
  maxBytes?: number;
  /** A body larger than this (a large inline result) is never kept. */
  maxEntryBytes?: number;
  /**
   * How long an entry is served at most, even before its job expires: terminal jobs never
   * change by the contract, but an operator can still retry or remove one by hand (the
   * queue dashboard). Each replica drops its copy when BullMQ's events say so (see
   * JobEventHub.onReset); this bounds what a missed event can leave stale.
   */
  maxAgeMs?: number;
  now?: () => number;
}

interface Entry {
  tenant: string;
  body: Buffer;
  /** The earlier of the job's expires_at and storing time + maxAgeMs. */
  serveUntilMs: number;
}

export const TERMINAL_CACHE_DEFAULTS = {
  maxEntries: 10_000,
  maxBytes: 16 * 1024 * 1024,
  maxEntryBytes: 256 * 1024,
  maxAgeMs: 30_000,
} as const;

/**
 * A small in-process copy of the serialised status of jobs that have ended (`succeeded` or
 * `failed`), which never change again, so a replica answers repeated polls of a finished
 * job without Redis and without building and serialising the body each time.
 *
 * - Tenancy: an entry is served only to the tenant that owns the job; anyone else misses
 *   and gets the ordinary read (404, exactly like an unknown id).
 * - Expiry: an entry is never served at or after the job's `expires_at` (which is rounded
 *   down to the second, so never later than the moment Redis reads start answering 404).
 * - Size: bounded in entries and bytes, and large bodies are not kept at all.
 *
 * Nothing else relies on it: a miss is always the one-HMGET read.
 */
export class TerminalStatusCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly options: Required<Omit<TerminalStatusCacheOptions, 'now'>>;
  private readonly now: () => number;

  constructor(options: TerminalStatusCacheOptions = {}) {
    this.options = { ...TERMINAL_CACHE_DEFAULTS, ...options };
    this.now = options.now ?? Date.now;
  }

  /** The body to answer with, if this tenant's job ended and is still served from here. */
  get(tenant: string, jobId: string): Buffer | undefined {
    const entry = this.entries.get(jobId);
    if (!entry || entry.tenant !== tenant) return undefined;
    if (this.now() >= entry.serveUntilMs) {
      this.delete(jobId, entry);
      return undefined;
    }
    // Most recently read last: the Map's order is the eviction order.
    this.entries.delete(jobId);
    this.entries.set(jobId, entry);
    return entry.body;
  }

  /**
   * Serialises a status read from Redis. Keeps it when the job has ended and is not about
   * to expire, and returns the body either way, so the caller serialises only once.
   */
  remember(tenant: string, status: TJobStatus): Buffer {
    const body = Buffer.from(JSON.stringify(status));
    if (!TERMINAL_STATUSES.includes(status.status) || status.expires_at === null) return body;
    const expiresMs = Date.parse(status.expires_at);
    const now = this.now();
    if (!Number.isFinite(expiresMs) || expiresMs <= now || body.length > this.options.maxEntryBytes)
      return body;
    const previous = this.entries.get(status.job_id);
    if (previous) this.delete(status.job_id, previous);
    this.entries.set(status.job_id, {
      tenant,
      body,
      serveUntilMs: Math.min(expiresMs, now + this.options.maxAgeMs),
    });
    this.bytes += body.length;
    this.evict();
    return body;
  }

  /** Drops a job's copy: it was retried or removed by hand, so it may change after all. */
  forget(jobId: string): void {
    const entry = this.entries.get(jobId);
    if (entry) this.delete(jobId, entry);
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  private evict(): void {
    for (const [jobId, entry] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && this.bytes <= this.options.maxBytes) return;
      this.delete(jobId, entry);
    }
  }

  private delete(jobId: string, entry: Entry): void {
    this.entries.delete(jobId);
    this.bytes -= entry.body.length;
  }
}

/** Answers 200 with an already serialised JSON body, as `res.json` would. */
export function sendJsonBody(res: Response, body: Buffer): void {
  res.status(200);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.end(body);
}
