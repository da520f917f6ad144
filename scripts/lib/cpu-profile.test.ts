import { describe, expect, it } from 'vitest';
import { type CpuProfile, packageOf, summarizeProfile, top } from './cpu-profile.js';
import { SourceMap } from './source-map.js';

const frame = (functionName: string, url = '', lineNumber = 0, columnNumber = 0) => ({ functionName, url, lineNumber, columnNumber });

// (root) → handler (index.js 0:0) → helper (index.js 0:10); (root) → (idle); (root) → (garbage collector)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 4, 5] },
    { id: 2, callFrame: frame('handler', 'index.js', 0, 0), children: [3] },
    { id: 3, callFrame: frame('helper', 'index.js', 0, 10) },
    { id: 4, callFrame: frame('(idle)') },
    { id: 5, callFrame: frame('(garbage collector)') },
  ],
  startTime: 0,
  endTime: 1000,
  // A sample's time is the delta to the next sample.
  samples: [2, 3, 3, 4, 5, 2],
  timeDeltas: [0, 100, 200, 300, 50, 25],
};
const sourceMap = new SourceMap({
  sources: ['../../workers/api/src/routes/list.ts', '../../node_modules/hono/dist/compose.js'],
  mappings: 'AAAA,UCIA',
});

describe('summarizeProfile', () => {
  it('splits busy from idle time and attributes self and inclusive time, mapped to sources', () => {
    const summary = summarizeProfile(profile, sourceMap);
    expect(summary.idleUs).toBe(50);
    expect(summary.busyUs).toBe(100 + 200 + 300 + 25);
    expect(summary.selfUs.get('handler (workers/api/src/routes/list.ts:1)')).toBe(100);
    expect(summary.selfUs.get('helper (hono/dist/compose.js:5)')).toBe(500);
    expect(summary.selfUs.get('(garbage collector)')).toBe(25);
    expect(summary.inclusiveUs.get('handler (workers/api/src/routes/list.ts:1)')).toBe(600);
    expect(summary.byPackageUs.get('hono')).toBe(500);
    expect(summary.byPackageUs.get('workers/api')).toBe(100);
    expect(top(summary.selfUs, 1)).toEqual([['helper (hono/dist/compose.js:5)', 500]]);
  });

  it('caps the time one sample stands for (a stalled sampler does not crown one frame)', () => {
    const summary = summarizeProfile(profile, sourceMap, { maxSampleUs: 150 });
    expect(summary.selfUs.get('helper (hono/dist/compose.js:5)')).toBe(150 + 150);
    expect(summary.selfUs.get('handler (workers/api/src/routes/list.ts:1)')).toBe(100);
    expect(summary.idleUs).toBe(50);
  });

  it('keeps bundle positions when there is no source map', () => {
    const summary = summarizeProfile(profile);
    expect(summary.selfUs.get('helper (index.js:1)')).toBe(500);
  });
});

describe('packageOf', () => {
  it('names npm packages, scoped packages and workspaces', () => {
    expect(packageOf('../node_modules/hono/dist/index.js')).toBe('hono');
    expect(packageOf('../node_modules/@hono/zod-openapi/dist/index.js')).toBe('@hono/zod-openapi');
    expect(packageOf('../../packages/metrics/src/hono.ts')).toBe('packages/metrics');
    expect(packageOf('../../workers/gateway/src/index.ts')).toBe('workers/gateway');
    expect(packageOf('../node_modules/src/entity.ts')).toBe('drizzle-orm');
  });
});
