// `npm run docs:errors`: writes docs/errors.md from the error catalogues in the code.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderErrorCatalogue } from './error-catalogue.js';

const path = join(import.meta.dirname, '..', '..', 'docs', 'errors.md');
writeFileSync(path, renderErrorCatalogue());
console.log(`wrote ${path}`);
