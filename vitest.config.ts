import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { localServiceBindings } from './packages/local-cloud/src/worker-bindings.js';
import { miniflareWorkerOptions, type WorkerName } from './packages/test-support/src/workers.js';

/**
 * `npm test` (scripts/test.ts) makes and migrates this run's own databases, starts a local-cloud
 * for it and passes their addresses in TEST_* variables; the worker projects bind them in place
 * of the wrangler.toml defaults, so tests never touch the dev databases.
 */
const testBindings = localServiceBindings({
  cloudUrl: process.env.TEST_LOCAL_CLOUD_URL ?? 'http://127.0.0.1:1',
  moalogDatabaseUrl: process.env.TEST_MOALOG_DATABASE_URL ?? 'http://moalog_test_unset:x@127.0.0.1:1',
  fluxpayDatabaseUrl: process.env.TEST_FLUXPAY_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:1/moalog_test_unset',
  controlToken: process.env.TEST_LOCAL_CLOUD_CONTROL_TOKEN ?? 'local-cloud-control-token-unset',
});

/** The workers a worker's service bindings reach, running as real bundles beside the tested one. */
const boundWorkers: Record<WorkerName, WorkerName[]> = {
  gateway: ['api', 'payment', 'export'],
  api: ['payment', 'export'],
  payment: [],
  export: [],
};

function workerProject(name: WorkerName) {
  return {
    plugins: [
      cloudflareTest({
        main: `./workers/${name}/src/index.ts`,
        wrangler: { configPath: `./workers/${name}/wrangler.toml` },
        miniflare: {
          bindings: testBindings,
          workers: boundWorkers[name].map((bound) => miniflareWorkerOptions(bound, testBindings)),
        },
      }),
    ],
    test: {
      name,
      include: [`workers/${name}/src/**/*.test.ts`, `workers/${name}/test/**/*.test.ts`],
      // `*.node.test.ts` beside worker code test pure modules in Node (e.g. with Node-only checkers).
      exclude: ['**/*.node.test.ts', '**/node_modules/**'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: [
            'packages/**/*.test.ts',
            'test/**/*.test.ts',
            'scripts/**/*.test.ts',
            'load-tests/**/*.test.ts',
            'workers/**/*.node.test.ts',
          ],
          exclude: ['test/faults/**', '**/node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // `npm run test:faults`: the platform with its dependencies failing (relays cut and slowed, faces switched).
        test: {
          name: 'faults',
          environment: 'node',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/faults/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      workerProject('gateway'),
      workerProject('api'),
      workerProject('payment'),
      workerProject('export'),
    ],
  },
});
