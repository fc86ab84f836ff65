/**
 * Aborts surface as the signal's own reason (a DOMException named AbortError by default), as
 * in Node's fs, stream and fetch APIs, rather than as a StorageError: the caller who aborted
 * knows why, and a cancelled job is not a storage failure.
 */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** By name, not instanceof: Node's own DOMException may come from another realm (as under Jest). */
export function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it fires; the work
 * behind `promise` is not stopped (whoever shares it decides that).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
