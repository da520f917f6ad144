// `npm run docs:errors`: writes docs/errors.md from the error catalogues in the code.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderErrorCatalogue } from './error-catalogue.js';

const path = join(import.meta.dirname, '..', '..', 'docs', 'errors.md');
writeFileSync(path, renderErrorCatalogue());
// Pad the tables as `npm run lint` expects them.
spawnSync('npx', ['biome', 'format', '--write', path], { stdio: 'inherit' });
console.log(`wrote ${path}`);
