// Summaries of a V8 CPU profile (the DevTools protocol's Profiler.Profile): where the busy time went, by
// function (self and inclusive) and by package, with bundle positions mapped back to their sources.
import type { SourceMap } from './source-map.js';

export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  /** Microseconds of samples that were not idle. */
  busyUs: number;
  idleUs: number;
  /** Per function (`name (source:line)`): self microseconds. */
  selfUs: Map<string, number>;
  /** Per function: microseconds of samples with the function anywhere on the stack. */
  inclusiveUs: Map<string, number>;
  /** Per package or workspace directory: self microseconds. */
  byPackageUs: Map<string, number>;
}

/** V8's pseudo-frames: `(idle)` is time the isolate waited; the others are busy time without a JS frame. */
const IDLE = '(idle)';

/** `hono`, `@hono/zod-openapi`, `packages/metrics`, `workers/api`, or the source path when it is neither. */
export function packageOf(source: string): string {
  // drizzle-orm's published maps name `../src/…` from its package root, which resolves to `node_modules/src/…`.
  if (source.includes('node_modules/src/')) return 'drizzle-orm';
  const modules = source.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = source.slice(modules + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? source);
  }
  const workspace = /(packages|workers)\/([^/]+)\//.exec(source);
  return workspace ? `${workspace[1]}/${workspace[2]}` : source;
}

export interface SummarizeOptions {
  /**
   * The most time one sample may stand for. A sample's time is the gap to the next one, and on a busy machine
   * the sampling thread is sometimes not scheduled for seconds: without a cap, that one sample's frame would
   * take most of the profile.
   */
  maxSampleUs?: number;
}

export function summarizeProfile(profile: CpuProfile, sourceMap?: SourceMap, options: SummarizeOptions = {}): ProfileSummary {
  const maxSampleUs = options.maxSampleUs ?? Number.POSITIVE_INFINITY;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const keyCache = new Map<number, { key: string; pkg: string }>();
  const describe = (id: number) => {
    let described = keyCache.get(id);
    if (described) return described;
    const frame = byId.get(id)?.callFrame ?? { functionName: '(unknown)', url: '', lineNumber: 0, columnNumber: 0 };
    const { functionName, url, lineNumber, columnNumber } = frame;
    const name = functionName || '(anonymous)';
    if (name.startsWith('(') && url === '') {
      described = { key: name, pkg: name };
    } else {
      const original = sourceMap && url.endsWith('index.js') ? sourceMap.lookup(lineNumber, columnNumber) : undefined;
      const source = original ? original.source.replace(/^(\.\.\/)+/, '') : url || 'native';
      const shortSource = source.replace(/^.*node_modules\//, '');
      described = {
        key: `${name} (${shortSource}:${original?.line ?? lineNumber + 1})`,
        pkg: original ? packageOf(source) : url || 'native',
      };
    }
    keyCache.set(id, described);
    return described;
  };

  const summary: ProfileSummary = { busyUs: 0, idleUs: 0, selfUs: new Map(), inclusiveUs: new Map(), byPackageUs: new Map() };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // A sample's time is the gap to the next sample (the last one gets none).
    const us = Math.min(deltas[i + 1] ?? 0, maxSampleUs);
    const leaf = samples[i] ?? 0;
    const { key, pkg } = describe(leaf);
    if (key === IDLE) {
      summary.idleUs += us;
      continue;
    }
    summary.busyUs += us;
    add(summary.selfUs, key, us);
    add(summary.byPackageUs, pkg, us);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const frame = describe(id).key;
      if (frame === '(root)' || seen.has(frame)) continue;
      seen.add(frame);
      add(summary.inclusiveUs, frame, us);
    }
  }
  return summary;
}

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

/** The `n` largest entries, largest first. */
export function top(map: Map<string, number>, n: number): Array<[string, number]> {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}
