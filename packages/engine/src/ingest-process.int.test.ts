import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IngestProcess } from './ingest-process';
import { createTempEngine, type TempEngine } from './temp-engine.fixture';

/** Uploads converted in a child process: the same answers as in-process, and the child's life. */
describe('ingest in a child process', () => {
  let t: TempEngine;
  beforeAll(async () => {
    t = await createTempEngine({ isolateIngest: true });
  });
  afterAll(() => t.cleanup());

  async function file(name: string, content: string): Promise<string> {
    const sourcePath = path.join(t.dir, name);
    await writeFile(sourcePath, content);
    return sourcePath;
  }

  it('converts an upload, and the result is readable here', async () => {
    const sourcePath = await file('sales.csv', 'region,revenue\nNorth,1.5\nSouth,2\n');
    const targetPath = path.join(t.dir, 'sales.parquet');
    const result = await t.engine.ingest({ sourcePath, format: 'csv', targetPath });
    expect(result).toMatchObject({
      rowCount: 2,
      columns: [
        { name: 'region', dtype: 'VARCHAR', null_count: 0 },
        { name: 'revenue', dtype: 'DOUBLE', null_count: 0 },
      ],
    });
    const read = await t.engine.execute({
      sql: 'SELECT sum(revenue) FROM dataset',
      params: {},
      datasetPath: targetPath,
      inlineRowLimit: 1,
    });
    expect(read.rows).toEqual([[3.5]]);
  });

  it("gives the child's errors as the in-process engine gives them, code, message and all", async () => {
    const bad = await file('bad.csv', 'a,b\n1,2\n3\n');
    const inProcess = await createTempEngine();
    try {
      const sameFile = path.join(inProcess.dir, 'bad.csv');
      await writeFile(sameFile, await readFile(bad));
      const expected = await inProcess.engine
        .ingest({ sourcePath: sameFile, format: 'csv', targetPath: path.join(inProcess.dir, 'bad.parquet') })
        .catch((e: unknown) => e);
      const actual = await t.engine
        .ingest({ sourcePath: bad, format: 'csv', targetPath: path.join(t.dir, 'bad.parquet') })
        .catch((e: unknown) => e);
      expect(expected).toMatchObject({ name: 'EngineError', code: 'invalid_dataset' });
      expect(actual).toMatchObject({
        name: 'EngineError',
        code: (expected as { code: string }).code,
        message: (expected as Error).message,
      });
    } finally {
      await inProcess.cleanup();
    }
  });

  it('survives its converter dying mid-upload, and exits when idle', async () => {
    const converter = new IngestProcess({ dataDir: t.dir }, 200);
    try {
      const sourcePath = await file('one.csv', 'x\n1\n');
      const target = (name: string) => path.join(t.dir, `${name}.parquet`);
      const big = await file('big.csv', `x\n${Array.from({ length: 2_000_000 }, (_, i) => i).join('\n')}\n`);
      await converter.ingest({ sourcePath, format: 'csv', targetPath: target('first') });

      // A converter killed (as by the OOM killer) fails only the upload it was converting.
      const dying = converter.ingest({ sourcePath: big, format: 'csv', targetPath: target('big') });
      const pid = converter.pid;
      expect(pid).toBeDefined();
      process.kill(pid ?? 0, 'SIGKILL');
      await expect(dying).rejects.toMatchObject({
        code: 'internal',
        message: expect.stringContaining('stopped unexpectedly (SIGKILL)'),
      });
      await expect(
        converter.ingest({ sourcePath, format: 'csv', targetPath: target('after') }),
      ).resolves.toMatchObject({
        rowCount: 1,
      });
      expect(converter.pid).not.toBe(pid);

      // Idle past 200 ms, it exits and gives its memory back; the next upload starts another.
      const idlePid = converter.pid ?? 0;
      const alive = () => {
        try {
          return process.kill(idlePid, 0);
        } catch {
          return false;
        }
      };
      for (let waited = 0; alive(); waited += 50) {
        if (waited > 10_000) throw new Error('the idle converter did not exit');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(converter.pid).toBeUndefined();
      await expect(
        converter.ingest({ sourcePath, format: 'csv', targetPath: target('again') }),
      ).resolves.toMatchObject({
        rowCount: 1,
      });
    } finally {
      await converter.close();
    }
  });

  it('fails an upload, not the caller, when the converter cannot start', async () => {
    // Its data folder is a file: the child's engine cannot be created and it exits.
    const notADirectory = await file('not-a-dir', 'x');
    const converter = new IngestProcess({ dataDir: notADirectory });
    try {
      const sourcePath = await file('start.csv', 'x\n1\n');
      await expect(
        converter.ingest({ sourcePath, format: 'csv', targetPath: path.join(t.dir, 'start.parquet') }),
      ).rejects.toMatchObject({
        code: 'internal',
        message: expect.stringContaining('stopped unexpectedly (exit code 1)'),
      });
      expect(converter.pid).toBeUndefined();
    } finally {
      await converter.close();
    }
  });
});
