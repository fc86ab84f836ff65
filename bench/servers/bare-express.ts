/**
 * The "raw" side of the HTTP pairs: Express 5 configured as apps/api configures it
 * (no x-powered-by, no ETag), answering constant JSON bodies of the same size as the
 * service's answers, with nothing else: no auth, no Redis, no per-request work.
 */
import express from 'express';

/** argv[2]: `{"port": …, "getBody": "<json>", "postBody": "<json>"}`. */
const spec = JSON.parse(process.argv[2] ?? '{}') as { port?: number; getBody?: string; postBody?: string };
const port = spec.port ?? 0;
const getJson: unknown = JSON.parse(spec.getBody ?? '{"status":"ok"}');
const postJson: unknown = JSON.parse(spec.postBody ?? '{"status":"queued"}');

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});
app.get('/v1/jobs/:jobId', (_req, res) => {
  res.json(getJson);
});
app.post('/v1/query/:queryId', express.json({ limit: '1mb', strict: true }), (_req, res) => {
  res.status(202).json(postJson);
});

const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`bare express listening on ${typeof address === 'object' && address ? address.port : port}`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeIdleConnections();
  process.exit(0);
});
