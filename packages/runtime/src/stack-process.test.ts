import { describe, expect, it } from 'vitest';
import { startScriptNodeOptions } from './stack-process.js';

const packageJson = (start: string | undefined) => JSON.stringify({ scripts: start === undefined ? {} : { start } });

describe('startScriptNodeOptions', () => {
  it("takes the node options from package.json's start script", () => {
    expect(startScriptNodeOptions(packageJson('node scripts/start.mjs'))).toEqual([]);
    expect(startScriptNodeOptions(packageJson('node  --max-old-space-size=96 --trace-gc scripts/start.mjs '))).toEqual([
      '--max-old-space-size=96',
      '--trace-gc',
    ]);
  });

  it('refuses a start script of another shape', () => {
    for (const script of [undefined, '', 'tsx scripts/start.ts', 'node scripts/start.mjs --port 1', 'node heap.js scripts/start.mjs']) {
      expect(() => startScriptNodeOptions(packageJson(script)), String(script)).toThrow(/start script must read/);
    }
  });

  it("gives the repository's own stack a bounded heap", () => {
    expect(startScriptNodeOptions()).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-old-space-size=\d+$/)]));
  });
});
