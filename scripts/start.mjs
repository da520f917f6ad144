// `npm run start`: scripts/start.ts (its opening comment tells what it does and takes the same options), served
// by a node process that loads no TypeScript compiler. A tsx child builds the workers, bundles start.ts into one
// JavaScript module and prepares the databases; this process then imports that module and becomes the stack.
// Plain JavaScript on purpose: it is what runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = dirname(import.meta.dirname);
const program = join(root, 'scripts', 'start.ts');
const args = process.argv.slice(2);
const tsx = (extra) => spawnSync(process.execPath, ['--import', 'tsx', program, ...extra], { cwd: root, stdio: 'inherit' });

if (args.includes('--help') || args.includes('-h')) process.exit(tsx(args).status ?? 1);

// start.ts reports its time to ready from here, the build included.
process.env.MOALOG_START_BEGAN_AT = String(Date.now());
mkdirSync(join(root, '.tmp'), { recursive: true });
const stage = mkdtempSync(join(root, '.tmp', 'start-'));
process.on('exit', () => rmSync(stage, { recursive: true, force: true }));
const staged = tsx(['--stage-to', stage, ...args]);
if (staged.status !== 0) process.exit(staged.status ?? 1);

const given = (name) => args.some((arg) => arg === name || arg.startsWith(`${name}=`));
process.argv = [process.argv[0], program, ...args, ...(given('--bundles') ? [] : ['--bundles', stage]), '--no-prepare'];
await import(pathToFileURL(join(stage, 'serve.mjs')).href);
