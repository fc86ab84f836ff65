import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { AuthFailureCounter } from '@repo/queue';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { basicAuth } from './basic-auth';
import type { DashboardAuth } from './dashboard-auth';

export interface DashboardOptions {
  queues: Queue[];
  auth: DashboardAuth;
  /** Failed logins per client address (dashboardAuthFailures); null when that limit is off. */
  authFailures: AuthFailureCounter | null;
  /** Hides retry, clean, remove and promote: operators can look, not touch. */
  readOnly: boolean;
}

/** bull-board over the product's queues, behind authentication; never listens itself. */
export function createDashboardApp(options: DashboardOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // bull-board's UI is a React bundle with inline styles and its own fonts and images.
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'", 'data:'],
          scriptSrc: ["'self'"],
          connectSrc: ["'self'"],
        },
      },
    }),
  );
  if (options.auth.kind === 'basic') {
    const { user, password } = options.auth;
    app.use(basicAuth({ user, password, failures: options.authFailures }));
  }
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/');
  createBullBoard({
    queues: options.queues.map(
      (queue) =>
        new BullMQAdapter(queue, { readOnlyMode: options.readOnly, allowRetries: !options.readOnly }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Analytics jobs' } },
  });
  // bull-board mounts an Express app of its own, which would announce itself again.
  const board = serverAdapter.getRouter() as Express;
  board.disable('x-powered-by');
  app.use('/', board);
  return app;
}
