import { createTestApi, type TestApi } from '../../testing/test-api';

describe('saved queries', () => {
  let api: TestApi;
  let datasetId: string;
  beforeAll(async () => {
    api = await createTestApi();
    const res = await api
      .as()
      .post('/v1/datasets?name=sales')
      .set('Content-Type', 'text/csv')
      .send('region,revenue,month\nNorth,1,2024-05\nSouth,2,2024-05\n');
    datasetId = res.body.dataset_id;
  });
  afterAll(async () => {
    await api.close();
  });

  it('saves the seed query with its parameter, by both routes', async () => {
    const body = {
      name: 'monthly_revenue_by_region',
      description: 'Total revenue grouped by region for a given month',
      query:
        'SELECT region, SUM(revenue) AS total_revenue FROM dataset WHERE month = $month GROUP BY region ORDER BY region',
      dataset_id: datasetId,
    };
    const saved = await api.as().post('/v1/save').send(body);
    expect(saved.status).toBe(201);
    expect(saved.body).toEqual({
      query_id: expect.stringMatching(/^qry_[A-Za-z0-9_-]{22}$/),
      name: 'monthly_revenue_by_region',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      status: 'saved',
    });
    const alias = await api.as().post('/v1/queries').send(body);
    expect(alias.status).toBe(201);

    const got = await api.as().get(`/v1/queries/${saved.body.query_id}`);
    expect(got.body).toMatchObject({ ...body, parameters: ['month'], status: 'saved' });
    const list = await api.as().get('/v1/queries');
    expect(list.body.data.map((q: { query_id: string }) => q.query_id)).toEqual([
      alias.body.query_id,
      saved.body.query_id,
    ]);
  });

  it('saves a structured query and lists its parameters', async () => {
    const saved = await api
      .as()
      .post('/v1/queries')
      .send({
        name: 'structured',
        dataset_id: datasetId,
        query: {
          group_by: ['region'],
          aggregates: [{ fn: 'sum', column: 'revenue', as: 'total_revenue' }],
          filters: [{ column: 'month', op: 'eq', value: { param: 'month' } }],
          order_by: [{ column: 'total_revenue', direction: 'desc' }],
          limit: 100,
        },
      });
    expect(saved.status).toBe(201);
    const got = await api.as().get(`/v1/queries/${saved.body.query_id}`);
    expect(got.body.parameters).toEqual(['month']);
  });

  it.each([
    ['a write', 'DELETE FROM dataset', /SELECT/],
    ['two statements', 'SELECT 1; SELECT 2', /one/i],
    ['natural language', 'total revenue by region for May', /natural-language/i],
    ['a file read', "SELECT * FROM read_csv('/etc/passwd')", /./],
    ['bad syntax', 'SELECT FROM WHERE', /./],
  ])('refuses %s with 422', async (_label, sql, message) => {
    const res = await api.as().post('/v1/save').send({ name: 'x', query: sql });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_query');
    expect(res.body.error.message).toMatch(message);
  });

  it('names an unknown column of the bound dataset, in SQL and structured form', async () => {
    const sql = await api
      .as()
      .post('/v1/save')
      .send({ name: 'x', query: 'SELECT nope FROM dataset', dataset_id: datasetId });
    expect(sql.status).toBe(422);
    expect(sql.body.error.message).toContain('nope');
    const structured = await api
      .as()
      .post('/v1/save')
      .send({ name: 'x', query: { group_by: ['regoin'] }, dataset_id: datasetId });
    expect(structured.status).toBe(422);
    expect(structured.body.error.message).toContain('regoin');
    expect(structured.body.error.details).toContain('regoin');
  });

  it('answers 400 for a malformed or invalid body, 415 for another type', async () => {
    const notJson = await api.as().post('/v1/save').set('Content-Type', 'application/json').send('{"name":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('malformed_request');
    const extra = await api.as().post('/v1/save').send({ name: 'x', query: 'SELECT 1', surprise: true });
    expect(extra.status).toBe(400);
    expect(extra.body.error.details).toEqual(['surprise']);
    const badFn = await api
      .as()
      .post('/v1/save')
      .send({ name: 'x', query: { aggregates: [{ fn: 'explode', column: 'a' }] } });
    expect(badFn.status).toBe(400);
    expect(badFn.body.error.details).toEqual(['query.aggregates.0.fn']);
    const text = await api.as().post('/v1/save').set('Content-Type', 'text/plain').send('SELECT 1');
    expect(text.status).toBe(415);
    const unknownDataset = await api
      .as()
      .post('/v1/save')
      .send({ name: 'x', query: 'SELECT 1', dataset_id: 'dset_nothere0000000000000' });
    expect(unknownDataset.status).toBe(404);
  });

  it('keeps tenants apart and deletes', async () => {
    const saved = await api
      .as()
      .post('/v1/save')
      .send({ name: 'mine', query: 'SELECT count(*) FROM dataset' });
    const id = saved.body.query_id as string;
    expect((await api.as('globex').get(`/v1/queries/${id}`)).status).toBe(404);
    expect((await api.as('globex').delete(`/v1/queries/${id}`)).status).toBe(404);
    expect((await api.as('globex').post(`/v1/query/${id}`).send({ dataset_id: datasetId })).status).toBe(404);
    expect((await api.as().delete(`/v1/queries/${id}`)).status).toBe(204);
    expect((await api.as().get(`/v1/queries/${id}`)).status).toBe(404);
  });
});
