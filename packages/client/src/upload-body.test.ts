import { contentTypeForFile, toUploadBody, uploadContentType } from './upload-body';

async function text(body: ReturnType<typeof toUploadBody>): Promise<string> {
  return new Response(body.data).text();
}

describe('contentTypeForFile', () => {
  it('maps the extensions the API takes, whatever their case', () => {
    expect(contentTypeForFile('sales.csv')).toBe('text/csv');
    expect(contentTypeForFile('/tmp/x/SALES.CSV')).toBe('text/csv');
    expect(contentTypeForFile('events.ndjson')).toBe('application/x-ndjson');
    expect(contentTypeForFile('events.jsonl')).toBe('application/x-ndjson');
    expect(contentTypeForFile('rows.json')).toBe('application/json');
    expect(contentTypeForFile('t.parquet')).toBe('application/vnd.apache.parquet');
    expect(contentTypeForFile('notes.txt')).toBeUndefined();
    expect(contentTypeForFile('csv')).toBeUndefined();
  });
});

describe('uploadContentType', () => {
  it('takes the given type first, then a file name, then a Blob type the API knows', () => {
    expect(uploadContentType('a,b', 'text/csv')).toBe('text/csv');
    expect(uploadContentType(Object.assign(new Blob(['x']), { name: 'a.ndjson' }), undefined)).toBe(
      'application/x-ndjson',
    );
    const stream = { path: '/data/sales.csv', async *[Symbol.asyncIterator]() {} };
    expect(uploadContentType(stream, undefined)).toBe('text/csv');
    expect(uploadContentType(new Blob(['[]'], { type: 'application/json' }), undefined)).toBe(
      'application/json',
    );
  });

  it('asks for contentType when it cannot tell', () => {
    expect(() => uploadContentType('a,b', undefined)).toThrow(/give contentType/);
    expect(() => uploadContentType(new Blob(['x'], { type: 'text/plain' }), undefined)).toThrow(TypeError);
  });
});

describe('toUploadBody', () => {
  it('sends strings, bytes and Blobs as they are', async () => {
    expect(toUploadBody('a\n1\n').streamed).toBe(false);
    expect(await text(toUploadBody(new TextEncoder().encode('a\n1\n')))).toBe('a\n1\n');
    expect(await text(toUploadBody(new Blob(['a\n', '1\n'])))).toBe('a\n1\n');
  });

  it('streams async iterables of bytes or text, in order', async () => {
    async function* chunks() {
      yield new TextEncoder().encode('x\n');
      yield '1\n';
      yield new TextEncoder().encode('2\n');
    }
    const body = toUploadBody(chunks());
    expect(body.streamed).toBe(true);
    expect(await text(body)).toBe('x\n1\n2\n');
  });

  it('keeps the error of a source that fails while it is read', async () => {
    async function* failing() {
      yield 'x\n';
      throw new Error('disk gone');
    }
    const body = toUploadBody(failing());
    await expect(text(body)).rejects.toThrow('disk gone');
    expect(body.sourceError()).toEqual(new Error('disk gone'));
  });

  it('refuses anything else', () => {
    expect(() => toUploadBody(42 as unknown as string)).toThrow(TypeError);
  });
});
