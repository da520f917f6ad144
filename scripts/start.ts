// `npm run start` (through scripts/start.mjs): the production-shaped local runtime. Builds the workers as
// `wrangler deploy` does, migrates and seeds the dev databases (as `npm run dev`), starts local-cloud on 8790 and
// serves the workers from one workerd through Miniflare on 127.0.0.1:8787: no wrangler dev, no file watching, no
// request logs. Ctrl-C stops everything.
//
// Flags: --port N, --local-cloud-port N (0 = a free port), --bundles DIR (start from bundles built earlier),
// --no-prepare (use the databases as they are), --quiet (drop the workers' console output), --ready-json (print
// one JSON line {url, localCloudUrl, pids} when serving and stop when stdin closes: for a parent process),
// --no-front (workerd's socket on the port itself, without the HTTP front: for measuring the front's cost).
// Environment as `npm run dev`: MOALOG_MYSQL_URL, FLUXPAY_POSTGRES_URL, REDIS_URL, SEED_POPULATION, PORT, LOCAL_CLOUD_PORT.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildWorkers, prepareStackDatabases, REPO_ROOT, startStack } from '@moalog/runtime';
import { parseCliArgs } from './lib/cli-args.js';
import { checkServices } from './services.js';

const { values } = parseCliArgs(
  {
    options: {
      port: { type: 'string' },
      'local-cloud-port': { type: 'string' },
      bundles: { type: 'string' },
      'no-prepare': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'ready-json': { type: 'boolean', default: false },
      'no-front': { type: 'boolean', default: false },
      /** Internal: build the bundles into this directory and exit (the child process below). */
      'build-to': { type: 'string' },
      /** Internal (scripts/start.mjs): build, bundle this program and prepare the databases, then exit. */
      'stage-to': { type: 'string' },
    },
  },
  import.meta.url,
);

if (values['build-to']) {
  await buildWorkers({ outDir: values['build-to'] });
  process.exit(0);
}

if (values['stage-to']) {
  await stageServingProgram(values['stage-to']);
  process.exit(0);
}

/**
 * `npm run start`'s first step (scripts/start.mjs runs it with tsx, then imports `serve.mjs` into a plain
 * node): builds the workers unless --bundles names them, writes this program bundled as one JavaScript module
 * to `<dir>/serve.mjs`, so the process that serves the stack loads no TypeScript compiler (about 70 MB it would
 * keep), and migrates and seeds the databases unless --no-prepare.
 */
async function stageServingProgram(dir: string): Promise<void> {
  await checkServices();
  if (!values.bundles) await buildWorkers({ outDir: dir });
  const { build } = await import('esbuild');
  await build({
    entryPoints: [import.meta.filename],
    outfile: join(dir, 'serve.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    plugins: [
      {
        name: 'workspace-in-npm-out',
        setup: (b) => {
          // The workspace's packages are TypeScript and go in; everything from npm is loaded from node_modules as usual.
          b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@moalog/') ? undefined : { external: true }));
          // Each module keeps its own location (migrations, .proto files and the repository root are found from it);
          // in the bundle this step's own text is rewritten too, harmlessly: the serving process never stages.
          b.onLoad({ filter: /\.ts$/ }, (a) => ({
            loader: 'ts',
            contents: readFileSync(a.path, 'utf8')
              .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(a.path).href))
              .replaceAll('import.meta.dirname', JSON.stringify(dirname(a.path)))
              .replaceAll('import.meta.filename', JSON.stringify(a.path)),
          }));
        },
      },
    ],
  });
  if (!values['no-prepare']) {
    await prepareStackDatabases({
      databases: {
        moalogMysqlUrl: process.env.MOALOG_MYSQL_URL,
        fluxpayPostgresUrl: process.env.FLUXPAY_POSTGRES_URL,
        redisUrl: process.env.REDIS_URL,
      },
      seedPopulation: Number(process.env.SEED_POPULATION ?? 1000),
    });
  }
}

/**
 * The bundles are built by a child process, so that this one, which serves them, never loads wrangler
 * (about 100 MB it would keep for as long as the stack runs).
 */
function buildInChild(): string {
  mkdirSync(join(REPO_ROOT, '.tmp'), { recursive: true });
  const outDir = mkdtempSync(join(REPO_ROOT, '.tmp', 'start-'));
  const built = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, '--build-to', outDir], { stdio: 'inherit' });
  if (built.status !== 0) {
    rmSync(outDir, { recursive: true, force: true });
    throw new Error(`building the workers failed (exit ${built.status ?? built.signal})`);
  }
  return outDir;
}

function portOf(raw: string | undefined, fallback: number, what: string): number {
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${what} must be a port number (0 = a free one), got "${raw}"`);
  return port;
}

await checkServices();
const started = Number(process.env.MOALOG_START_BEGAN_AT) || Date.now();
const ownBundles = values.bundles ? undefined : buildInChild();
let stack: Awaited<ReturnType<typeof startStack>>;
try {
  stack = await startStack({
    port: portOf(values.port ?? process.env.PORT, 8787, '--port'),
    localCloudPort: portOf(values['local-cloud-port'] ?? process.env.LOCAL_CLOUD_PORT, 8790, '--local-cloud-port'),
    databases: {
      moalogMysqlUrl: process.env.MOALOG_MYSQL_URL,
      fluxpayPostgresUrl: process.env.FLUXPAY_POSTGRES_URL,
      redisUrl: process.env.REDIS_URL,
    },
    prepare: values['no-prepare'] ? 'none' : 'migrate-and-seed',
    seedPopulation: Number(process.env.SEED_POPULATION ?? 1000),
    bundlesDir: values.bundles ?? ownBundles,
    quiet: values.quiet,
    front: !values['no-front'],
  });
} catch (error) {
  if (ownBundles) rmSync(ownBundles, { recursive: true, force: true });
  throw error;
}

let stopping: Promise<void> | undefined;
/** Stops once: stdin's end and close (or a signal) may both ask, and none may exit before the first is done. */
async function stop(): Promise<never> {
  stopping ??= (async () => {
    await stack.stop();
    if (ownBundles) rmSync(ownBundles, { recursive: true, force: true });
  })();
  await stopping;
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

if (values['ready-json']) {
  console.log(JSON.stringify({ url: stack.url, localCloudUrl: stack.localCloudUrl, pids: stack.pids }));
  process.stdin.on('end', () => void stop());
  process.stdin.on('close', () => void stop());
  process.stdin.resume();
} else {
  const workers = stack.manifest.workers.map((w) => w.name).join(', ');
  console.log(`local-cloud on ${stack.localCloudUrl}`);
  console.log(
    `${workers} built and serving on ${stack.url} (workerd pid ${stack.pids.workerd.join(', ')}; ready in ${Date.now() - started} ms)`,
  );
}
