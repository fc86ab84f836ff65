import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createObjectStore } from './create-object-store';
import { LocalObjectStore } from './local-object-store';
import {
  type ContractHarness,
  describeObjectStoreContract,
  listKeys,
  makeScratchDir,
} from './object-store-contract.fixture';

const roots = new WeakMap<ContractHarness, string>();

describeObjectStoreContract(
  'local',
  async () => {
    const root = await makeScratchDir();
    const harness: ContractHarness = {
      store: new LocalObjectStore(root),
      // The copy runs over many event-loop turns; this fires during the first.
      abortDuringPut: (controller) => setImmediate(() => controller.abort()),
      privatePaths: [root],
      secrets: [],
    };
    roots.set(harness, root);
    return harness;
  },
  async (harness) => {
    const root = roots.get(harness);
    if (root) await rm(root, { recursive: true, force: true });
  },
);

/** Every file name under `dir`, relative, folders included. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

describe('LocalObjectStore', () => {
  let root: string;
  let scratch: string;
  beforeEach(async () => {
    root = await makeScratchDir();
    scratch = await makeScratchDir();
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  test('keys map to files under the root (the DATA_DIR layout), readable in place', async () => {
    const store = createObjectStore({ DATA_DIR: root, S3_FORCE_PATH_STYLE: false });
    expect(store.kind).toBe('local');
    await writeFile(join(scratch, 'f'), 'parquet bytes');
    await store.putFile('datasets/ds_1.parquet', join(scratch, 'f'));
    expect(store.localPathOf('datasets/ds_1.parquet')).toBe(join(root, 'datasets', 'ds_1.parquet'));
    expect(await readFile(join(root, 'datasets', 'ds_1.parquet'), 'utf8')).toBe('parquet bytes');
    expect(await tree(root)).toEqual(['datasets', 'datasets/ds_1.parquet']);
  });

  test('files written by others in the layout are objects; temporary files are not', async () => {
    const store = new LocalObjectStore(root);
    await writeFile(join(scratch, 'f'), 'x');
    await store.putFile('results/job_1.parquet', join(scratch, 'f'));
    await writeFile(join(root, 'results', '~abc.job_2.parquet.partial'), 'half');
    await writeFile(join(root, 'results', 'job_3.parquet'), 'written by hand');
    expect(await listKeys(store, '')).toEqual(['results/job_1.parquet', 'results/job_3.parquet']);
    expect(await store.head('results/job_3.parquet')).toMatchObject({ size: 15 });
  });

  test('an aborted put leaves no temporary file, and the previous version intact', async () => {
    const store = new LocalObjectStore(root);
    await writeFile(join(scratch, 'old'), 'old version');
    await store.putFile('k/doc', join(scratch, 'old'));
    await writeFile(join(scratch, 'new'), Buffer.alloc(8 * 1024 * 1024, 1));
    const controller = new AbortController();
    const put = store.putFile('k/doc', join(scratch, 'new'), { signal: controller.signal });
    setImmediate(() => controller.abort());
    await expect(put).rejects.toMatchObject({ name: 'AbortError' });
    expect(await tree(root)).toEqual(['k', 'k/doc']);
    expect(await readFile(join(root, 'k', 'doc'), 'utf8')).toBe('old version');
  });

  test('a folder is not an object; deleting a key never removes a folder', async () => {
    const store = new LocalObjectStore(root);
    await writeFile(join(scratch, 'f'), 'x');
    await store.putFile('a/b/c', join(scratch, 'f'));
    expect(await store.head('a/b')).toBeNull();
    await expect(store.getRange('a/b', 0, 1)).rejects.toMatchObject({ code: 'missing' });
    await expect(store.delete('a/b')).rejects.toMatchObject({ code: 'internal' });
    expect(existsSync(join(root, 'a', 'b', 'c'))).toBe(true);
  });

  test('a relative root is refused', () => {
    expect(() => new LocalObjectStore('relative/dir')).toThrow('absolute');
  });
});
