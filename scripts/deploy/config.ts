// `npm run deploy:config`: writes the generated environment sections and compatibility lines of every
// wrangler config from platform.ts. `-- --check` only reports the configs that are out of date.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';
import { configFiles } from './wrangler-environments.js';

const check = process.argv.includes('--check');
const stale = configFiles().filter((file) => file.current !== file.expected);
for (const file of stale) {
  if (check) console.error(`${file.path} is out of date: run npm run deploy:config`);
  else {
    writeFileSync(join(repoRoot, file.path), file.expected);
    console.log(`wrote ${file.path}`);
  }
}
if (stale.length === 0) console.log('every wrangler config is up to date with platform.ts');
process.exit(check && stale.length > 0 ? 1 : 0);
