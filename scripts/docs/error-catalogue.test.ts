import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fluxpayErrorCatalog } from '@moalog/payment/errors';
import { errorCatalog } from '@moalog/shared/errors';
import { fluxpayEdgeErrors } from '@moalog/shared/fluxpay-envelope';
import { describe, expect, it } from 'vitest';
import { renderErrorCatalogue } from './error-catalogue.js';

/** The page as Biome's formatter may pad it: table cells without their padding, rules as `---`. */
const unpadded = (markdown: string) =>
  markdown
    .split('\n')
    .map((line) => (line.startsWith('|') ? line.replace(/\s*\|\s*/g, '|').replace(/-{3,}/g, '---') : line))
    .join('\n');
const committed = unpadded(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'errors.md'), 'utf8'));

describe('docs/errors.md', () => {
  it('is what `npm run docs:errors` renders from the catalogues (run it after adding or changing a code)', () => {
    expect(committed).toBe(unpadded(renderErrorCatalogue()));
  });

  it('has one row per code, with its status', () => {
    for (const catalogue of [errorCatalog, fluxpayErrorCatalog, fluxpayEdgeErrors]) {
      for (const [code, { status }] of Object.entries(catalogue)) {
        expect(committed).toContain(`|\`${code}\`|${status}|`);
      }
    }
    const rows = committed.split('\n').filter((line) => /^\|`[A-Z_0-9]+`\|/.test(line));
    const codes = [errorCatalog, fluxpayErrorCatalog, fluxpayEdgeErrors].reduce((n, c) => n + Object.keys(c).length, 0);
    expect(rows).toHaveLength(codes);
  });
});
