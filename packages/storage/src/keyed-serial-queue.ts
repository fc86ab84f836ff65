/**
 * Runs operations one after another per key (and concurrently across keys): the cache's
 * download, validation and removal of one key's files never overlap, so none can rename a
 * file into place while another deletes that path.
 */
export class KeyedSerialQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(operation);
    const tail = result.then(
      () => {},
      () => {},
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** The last queued operation of every busy key. */
  pending(): Promise<void>[] {
    return [...this.tails.values()];
  }
}
