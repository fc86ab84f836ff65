/**
 * `npm run reset [-- --yes]`: deletes what `npm start` left on this machine (DATA_DIR,
 * default .data/: the private Redis's data, datasets, results, the development key), after
 * checking that nothing of the stack is running. It asks first on a terminal; elsewhere it
 * needs --yes. A Redis named by REDIS_URL is never touched (it says how to clear it).
 */
import { createInterface } from 'node:readline/promises';
import { reset } from './lib/reset';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== '--yes' && arg !== '-y');
  if (unknown.length > 0) {
    console.error(`reset: unknown argument ${unknown[0]} (usage: npm run reset [-- --yes])`);
    process.exit(2);
  }
  const ask = process.stdin.isTTY
    ? async (question: string) => {
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        try {
          return await rl.question(question);
        } finally {
          rl.close();
        }
      }
    : undefined;
  process.exitCode = await reset({ env: process.env, yes: args.length > 0, ask });
}

void main();
