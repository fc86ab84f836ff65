import { readdir, readFile } from 'node:fs/promises';
import { dataLayout } from '@repo/queue';
import { createTestApi, type TestApi } from '../../testing/test-api';

const CSV =
  'region,revenue,note\nNorth,10.5,"hello, world"\nSouth,,"multi\nline ""quoted"""\nNorth,4,ünïcødé ✓\n';

async function filesUnder(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

describe('datasets', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ MAX_UPLOAD_BYTES: '4096' });
  });
  afterAll(async () => {
    await api.close();
  });

  it('uploads a CSV and describes it', async () => {
    const res = await api.as().post('/v1/datasets?name=sales').set('Content-Type', 'text/csv').send(CSV);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      dataset_id: expect.stringMatching(/^dset_[A-Za-z0-9_-]{22}$/),
      name: 'sales',
      row_count: 3,
      columns: [
        { name: 'region', dtype: 'VARCHAR', null_count: 0 },
        { name: 'revenue', dtype: 'DOUBLE', null_count: 1 },
        { name: 'note', dtype: 'VARCHAR', null_count: 0 },
      ],
      size_bytes: expect.any(Number),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect(res.headers.location).toBe(`/v1/datasets/${res.body.dataset_id}`);
    expect(res.headers['x-request-id']).toBeTruthy();
    const id = res.body.dataset_id as string;

    const one = await api.as().get(`/v1/datasets/${id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(res.body);
    const schema = await api.as().get(`/v1/datasets/${id}/schema`);
    expect(schema.body).toEqual({ dataset_id: id, columns: res.body.columns });
  });

  it('accepts NDJSON, a JSON array and Parquet', async () => {
    const ndjson = await api
      .as()
      .post('/v1/datasets?name=nd')
      .set('Content-Type', 'application/x-ndjson')
      .send('{"a":1,"b":"x"}\n{"a":2,"b":null}\n');
    expect(ndjson.status).toBe(201);
    expect(ndjson.body.row_count).toBe(2);
    expect(ndjson.body.columns).toEqual([
      { name: 'a', dtype: 'BIGINT', null_count: 0 },
      { name: 'b', dtype: 'VARCHAR', null_count: 1 },
    ]);

    const array = await api
      .as()
      .post('/v1/datasets?name=arr')
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(
        JSON.stringify([
          { k: 'a', v: 1.5 },
          { k: 'b', v: 2 },
          { k: 'c', v: null },
        ]),
      );
    expect(array.status).toBe(201);
    expect(array.body.row_count).toBe(3);

    // Parquet in, as another dataset's stored file.
    const parquet = await readFile(dataLayout.datasetFile(api.dataDir, 'acme', ndjson.body.dataset_id));
    const pq = await api
      .as()
      .post('/v1/datasets?name=pq')
      .set('Content-Type', 'application/vnd.apache.parquet')
      .send(parquet);
    expect(pq.status).toBe(201);
    expect(pq.body.columns).toEqual(ndjson.body.columns);
  });

  it('refuses a malformed file saying where, and leaves nothing behind', async () => {
    const before = await filesUnder(dataLayout.datasetsDir(api.dataDir, 'acme'));
    const res = await api
      .as()
      .post('/v1/datasets?name=bad')
      .set('Content-Type', 'text/csv')
      .send('a,b\n1,2\n3,4,5,6\n7,8\n');
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_dataset');
    expect(res.body.error.message).toMatch(/line 3/i);
    expect(res.body.error.message).not.toContain(api.dataDir);
    expect(await filesUnder(dataLayout.datasetsDir(api.dataDir, 'acme'))).toEqual(before);
    expect(await filesUnder(dataLayout.uploadsDir(api.dataDir, 'acme'))).toEqual([]);

    const json = await api
      .as()
      .post('/v1/datasets?name=bad')
      .set('Content-Type', 'application/json')
      .send('[{"a":1},');
    expect(json.status).toBe(422);
    const notParquet = await api
      .as()
      .post('/v1/datasets?name=bad')
      .set('Content-Type', 'application/vnd.apache.parquet')
      .send(Buffer.from('this is not parquet'));
    expect(notParquet.status).toBe(422);
    expect(await filesUnder(dataLayout.datasetsDir(api.dataDir, 'acme'))).toEqual(before);
  });

  it('answers 415, 413, 400 and 422 for bad uploads', async () => {
    const noType = await api
      .as()
      .post('/v1/datasets?name=x')
      .set('Content-Type', 'text/plain')
      .send('a\n1\n');
    expect(noType.status).toBe(415);
    expect(noType.body.error.code).toBe('unsupported_media_type');

    const big = await api
      .as()
      .post('/v1/datasets?name=x')
      .set('Content-Type', 'text/csv')
      .send(`a\n${'1\n'.repeat(4000)}`);
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');

    const noName = await api.as().post('/v1/datasets').set('Content-Type', 'text/csv').send('a\n1\n');
    expect(noName.status).toBe(400);
    expect(noName.body.error.details).toEqual(['name']);

    const empty = await api.as().post('/v1/datasets?name=x').set('Content-Type', 'text/csv').send('');
    expect(empty.status).toBe(422);
    expect(await filesUnder(dataLayout.uploadsDir(api.dataDir, 'acme'))).toEqual([]);
  });

  it('keeps tenants apart and deletes', async () => {
    const created = await api
      .as()
      .post('/v1/datasets?name=mine')
      .set('Content-Type', 'text/csv')
      .send('a\n1\n');
    const id = created.body.dataset_id as string;
    const foreign = await api.as('globex').get(`/v1/datasets/${id}`);
    const unknown = await api.as('globex').get('/v1/datasets/dset_doesnotexist000000000');
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({
      error: {
        code: 'not_found',
        message: `No dataset with id "${id}" exists for this API key.`,
        details: [],
      },
    });
    expect(unknown.status).toBe(404);
    expect((await api.as('globex').delete(`/v1/datasets/${id}`)).status).toBe(404);
    const globexList = await api.as('globex').get('/v1/datasets');
    expect(globexList.body.data.map((d: { dataset_id: string }) => d.dataset_id)).not.toContain(id);

    expect((await api.as().delete(`/v1/datasets/${id}`)).status).toBe(204);
    expect((await api.as().get(`/v1/datasets/${id}`)).status).toBe(404);
    expect(await filesUnder(dataLayout.datasetsDir(api.dataDir, 'acme'))).not.toContain(`${id}.parquet`);
  });

  it('lists newest first, page by page', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api
        .as('globex')
        .post(`/v1/datasets?name=p${i}`)
        .set('Content-Type', 'text/csv')
        .send('a\n1\n');
      ids.push(res.body.dataset_id);
    }
    const first = await api.as('globex').get('/v1/datasets?limit=2');
    expect(first.body.data.map((d: { name: string }) => d.name)).toEqual(['p2', 'p1']);
    const second = await api.as('globex').get(`/v1/datasets?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data.map((d: { name: string }) => d.name)).toEqual(['p0']);
    expect(second.body.next_cursor).toBeNull();
    const badCursor = await api.as('globex').get('/v1/datasets?cursor=garbage');
    expect(badCursor.status).toBe(400);
  });

  it('requires an API key', async () => {
    const none = await api.as().get('/v1/datasets').set('X-API-Key', '');
    expect(none.status).toBe(401);
    const wrong = await api.as().get('/v1/datasets').set('X-API-Key', 'not-a-key-at-all-000');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
  });
});
