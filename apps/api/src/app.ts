import express, { type Express } from 'express';
import type { AppDeps } from './app-deps';
import { authFailureLimit } from './middleware/auth-failure-limit';
import { authenticate } from './middleware/authenticate';
import { errorHandler, notFoundRoute } from './middleware/error-handler';
import { jsonBody } from './middleware/json-body';
import { rateLimit } from './middleware/rate-limit';
import { requestId } from './middleware/request-id';
import { securityHeaders } from './middleware/security-headers';
import { batchesRouter } from './routes/batches/batches.router';
import { datasetsRouter } from './routes/datasets/datasets.router';
import { jobsRouter } from './routes/jobs/jobs.router';
import { opsRouter } from './routes/ops/ops.router';
import { queriesRouter, saveQueryHandler } from './routes/queries/queries.router';
import { runsRouter } from './routes/runs/runs.router';
import { webhooksRouter } from './routes/webhooks/webhooks.router';
import { labelRoutesUnder } from './telemetry/api-metrics';
import { requestLogger } from './telemetry/request-logger';

/** JSON bodies are small (queries, run requests); datasets stream past this parser. */
const JSON_LIMIT = '1mb';
/** A saved query: SQL of up to 100,000 characters, or a structured query. */
const SAVE_JSON_LIMIT = '512kb';

/** Builds the Express app from its dependencies; never listens (main.ts and tests do). */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId);
  app.use(securityHeaders());
  app.use(requestLogger(deps.logger));
  app.use(deps.metrics.middleware);

  const v1 = express.Router();
  v1.use(
    authenticate({
      staticKeys: deps.config.API_KEYS,
      store: deps.apiKeys,
      failures: authFailureLimit({
        redis: deps.redis,
        prefix: deps.config.QUEUE_PREFIX,
        failures: deps.config.AUTH_FAILURES_PER_IP,
      }),
    }),
  );
  const limitRequests = rateLimit({
    redis: deps.redis,
    prefix: deps.config.QUEUE_PREFIX,
    perSecond: deps.config.RATE_LIMIT_PER_SECOND,
    burst: deps.config.RATE_LIMIT_BURST,
  });
  if (limitRequests) v1.use(limitRequests);
  // The hot paths first (status polls, then runs): Express tries each layer in turn.
  const json = jsonBody(JSON_LIMIT);
  const saveJson = jsonBody(SAVE_JSON_LIMIT);
  v1.use('/jobs', labelRoutesUnder('/v1/jobs'), jobsRouter(deps));
  v1.use('/query', labelRoutesUnder('/v1/query'), json, runsRouter(deps));
  v1.use('/datasets', labelRoutesUnder('/v1/datasets'), datasetsRouter(deps));
  v1.post('/save', saveJson, ...saveQueryHandler(deps));
  v1.use('/queries', labelRoutesUnder('/v1/queries'), saveJson, queriesRouter(deps));
  v1.use('/webhooks', labelRoutesUnder('/v1/webhooks'), webhooksRouter(deps));
  v1.use('/batches', labelRoutesUnder('/v1/batches'), json, batchesRouter(deps));
  app.use('/v1', v1);
  // After /v1, so that API requests do not walk the ops and docs layers on their way.
  app.use(opsRouter(deps));

  app.use(notFoundRoute);
  app.use(errorHandler(deps.logger));
  return app;
}
