import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../app-error';
import { type ScannedFormat, UploadShapeScanner, uploadShapeGuard } from './upload-shape-guard';

const LIMITS = { maxDepth: 4, maxLineBytes: 1024 };

/** Feeds `chunks` in order; the refusal sentence, or null if the upload keeps its limits. */
function scan(format: ScannedFormat, chunks: Uint8Array[], limits = LIMITS): string | null {
  const scanner = new UploadShapeScanner(format, limits);
  let refusal: string | null = null;
  for (const chunk of chunks) refusal = scanner.push(chunk);
  return refusal;
}

const whole = (format: ScannedFormat, text: string, limits = LIMITS) =>
  scan(format, [Buffer.from(text)], limits);

/**
 * The verdict on `text` cut into two chunks at every byte and into one-byte chunks: a
 * chunk then ends inside every string, escape and multi-byte character of it.
 */
function verdictsOfEverySplit(format: ScannedFormat, text: string): Set<string | null> {
  const bytes = Buffer.from(text);
  const verdicts = new Set<string | null>();
  for (let cut = 0; cut <= bytes.length; cut += 1) {
    verdicts.add(scan(format, [bytes.subarray(0, cut), bytes.subarray(cut)]));
  }
  verdicts.add(
    scan(
      format,
      Array.from(bytes, (byte) => Uint8Array.of(byte)),
    ),
  );
  return verdicts;
}

const deep = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

describe('nesting depth', () => {
  it('takes NDJSON records exactly at the limit and refuses one level more, naming the line', () => {
    expect(whole('ndjson', `{"a":${deep(3)}}\n`)).toBeNull();
    expect(whole('ndjson', `{"a":1}\n{"a":2}\n{"a":${deep(4)}}\n`)).toBe(
      'NDJSON line 3: nested deeper than 4 levels (UPLOAD_MAX_DEPTH).',
    );
    expect(whole('ndjson', `{"a":{"b":{"c":{"d":{}}}}}`)).toMatch(/line 1: nested deeper than 4/);
  });

  it('counts JSON within a record, so a record passes or fails as it does in NDJSON', () => {
    const ok = `{"a":${deep(3)}}`;
    const tooDeep = `{"a":${deep(4)}}`;
    expect(whole('json', `[${ok},${ok}]`)).toBeNull();
    expect(whole('json', `[${ok},\n ${ok},\n ${tooDeep}\n]`)).toBe(
      'JSON record 3 (line 3): nested deeper than 4 levels (UPLOAD_MAX_DEPTH).',
    );
    // Commas inside records and strings are not record separators.
    expect(whole('json', `[{"a":[1,2,3],"b":"x,y"},${tooDeep}]`)).toMatch(/^JSON record 2 \(line 1\)/);
  });

  it('refuses a 100,000-deep array at the first level too many, without reading on', () => {
    const hostile = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(whole('json', hostile)).toMatch(/^JSON record 1 \(line 1\): nested deeper than 4 levels/);
    const scanner = new UploadShapeScanner('ndjson', LIMITS);
    expect(scanner.push(Buffer.from('[[[['))).toBeNull();
    expect(scanner.push(Buffer.from('['))).toMatch(/nested deeper/);
    // Refused stays refused, whatever follows.
    expect(scanner.push(Buffer.from(']]]]]\n{"a":1}\n'))).toMatch(/NDJSON line 1: nested deeper/);
  });

  it('does not count brackets inside strings, through escaped quotes and backslashes', () => {
    expect(whole('ndjson', `{"s":"[[[[[[{{{{{{"}\n`)).toBeNull();
    expect(whole('ndjson', String.raw`{"s":"\"[[[[[[\"","t":"]]]]]]"}`)).toBeNull();
    expect(whole('ndjson', String.raw`{"s":"\\\"[[[[[["}`)).toBeNull();
    expect(whole('ndjson', String.raw`{"s":"\u005b[[[[[[\/"}`)).toBeNull();
    // `\\` is one escaped backslash: the quote after it ends the string, so these brackets count.
    expect(whole('ndjson', String.raw`{"s":"\\",  "v":[[[[1]]]]}`)).toMatch(/nested deeper/);
    expect(whole('ndjson', String.raw`{"\\":[[[[1]]]]}`)).toMatch(/nested deeper/);
  });

  it('ignores stray closers rather than letting them hide later levels', () => {
    expect(whole('ndjson', `]]]]]]]]{"a":${deep(4)}}`)).toMatch(/nested deeper/);
  });

  it('starts every NDJSON line afresh, as DuckDB parses each line on its own', () => {
    // Levels do not add up across lines...
    expect(whole('ndjson', `{"a":${deep(3)}}\n`.repeat(50))).toBeNull();
    // ...and an unterminated string cannot turn the next line's brackets into text.
    expect(whole('ndjson', `{"a":"open\n${deep(5)}\n`)).toBe(
      'NDJSON line 2: nested deeper than 4 levels (UPLOAD_MAX_DEPTH).',
    );
    expect(whole('ndjson', `{"a":"ends in a backslash\\\n${deep(5)}\n`)).toMatch(/line 2: nested/);
  });

  it('passes multi-byte characters, none of whose bytes is taken for syntax', () => {
    // U+301B (e3 80 9b) and U+FF3B (ef bc bb) end in bytes that are not `[` (5b) or `]` (5d).
    expect(whole('ndjson', `{"ünï":"〛［😀✓","é":[["ß"]]}\n`)).toBeNull();
    expect(whole('ndjson', `{"ünï":"〛［😀✓","é":[[[["ß"]]]]}\n`)).toMatch(/nested deeper/);
  });
});

describe('line length', () => {
  const line = (bytes: number) => 'x'.repeat(bytes);

  it.each(['ndjson', 'csv'] as const)(
    '%s: takes a line of exactly the limit and refuses one byte more',
    (format) => {
      expect(whole(format, `a\n${line(1024)}\nb\n`)).toBeNull();
      expect(whole(format, `a\nb\n${line(1025)}\nc\n`)).toBe(
        `${format === 'csv' ? 'CSV' : 'NDJSON'} line 3 is longer than 1024 bytes (UPLOAD_MAX_LINE_BYTES).`,
      );
      // The last line needs no newline to be measured, and a `\r` before `\n` is part of its line.
      expect(whole(format, `a\n${line(1025)}`)).toMatch(/line 2 is longer/);
      expect(whole(format, `a\n${line(1023)}\r\n`)).toBeNull();
      expect(whole(format, `a\n${line(1024)}\r\n`)).toMatch(/line 2 is longer/);
    },
  );

  it('refuses a line that never ends as soon as it passes the limit', () => {
    const scanner = new UploadShapeScanner('csv', LIMITS);
    expect(scanner.push(Buffer.from(`h\n${line(600)}`))).toBeNull();
    expect(scanner.push(Buffer.from(line(424)))).toBeNull();
    expect(scanner.push(Buffer.from('x'))).toBe(
      'CSV line 2 is longer than 1024 bytes (UPLOAD_MAX_LINE_BYTES).',
    );
  });

  it('measures CSV lines physically: a quoted field across lines is bounded line by line', () => {
    const field = `"${line(1000)}\n${line(1000)}"`;
    expect(whole('csv', `a,b\n1,${field}\n`)).toBeNull();
    // Quotes do not change where a line ends: `5" screen` is a plain value to DuckDB.
    expect(whole('csv', `a,b\n5" screen,1\n${'6,2\n'.repeat(600)}`)).toBeNull();
  });

  it('leaves JSON lines unbounded (a whole array may sit on one line)', () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ i, s: line(30) }));
    expect(whole('json', JSON.stringify(records))).toBeNull();
  });
});

describe('chunk boundaries', () => {
  const CASES: Array<[ScannedFormat, string]> = [
    ['ndjson', [String.raw`{"s":"\\\"[[[[[[","t":"\u00e9"}`, '{"ü":"😀[[[[[[","v":[[[1]]]}', ''].join('\n')],
    ['ndjson', String.raw`{"s":"\\",  "v":[[[[1]]]]}`],
    ['ndjson', `{"a":"open\n${deep(5)}\n`],
    ['ndjson', `{"a":"✓✓✓"}\n{"b":"${'é'.repeat(600)}"}\n`],
    ['json', `[{"a":"]]]]]]"},\n{"a":${deep(3)}},{"a":"\\"}, {"a":${deep(4)}}]`],
    ['json', `[{"k":"〛［😀","v":[[["\\""]]]}]`],
    ['csv', `a,b\n"x\n${'ß'.repeat(512)}",1\n${'ä'.repeat(513)}\n`],
  ];

  it.each(CASES)('%s %#: gives the same verdict wherever the chunks are cut', (format, text) => {
    const verdicts = verdictsOfEverySplit(format, text);
    expect([...verdicts]).toEqual([whole(format, text)]);
  });

  it('the cases above cover both verdicts', () => {
    const verdicts = CASES.map(([format, text]) => whole(format, text));
    expect(verdicts.filter((v) => v === null).length).toBeGreaterThan(1);
    expect(verdicts.filter((v) => v !== null).length).toBeGreaterThan(1);
  });
});

describe('uploadShapeGuard', () => {
  async function run(format: 'json' | 'ndjson' | 'csv', chunks: string[]): Promise<Buffer> {
    const guard = uploadShapeGuard(format, LIMITS);
    if (!guard) throw new Error('expected a guard');
    const out: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    });
    await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), guard, sink);
    return Buffer.concat(out);
  }

  it('passes an upload within its limits through byte for byte', async () => {
    const chunks = ['{"a":"é', '✓"}\n{"b":[[', '1]]}\n'];
    expect((await run('ndjson', chunks)).toString()).toBe(chunks.join(''));
  });

  it('fails with invalid_dataset (422) on the first chunk that breaks a limit', async () => {
    const error = await run('ndjson', ['{"a":1}\n', `{"a":${deep(9)}}\n`, '{"a":2}\n']).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'invalid_dataset',
      status: 422,
      message: 'NDJSON line 2: nested deeper than 4 levels (UPLOAD_MAX_DEPTH).',
    });
  });

  it('leaves Parquet alone', () => {
    expect(uploadShapeGuard('parquet', LIMITS)).toBeNull();
  });
});
