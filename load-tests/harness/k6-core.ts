/**
 * `k6` (check, group, sleep, fail) and `k6/metrics` (Counter, Gauge, Rate, Trend) for one virtual user, with
 * k6's semantics: a check records one `checks` sample per named condition (tags `check` and `group`) and a
 * throwing condition counts as failed before its error goes on; `group` nests the `group` tag (`::outer::inner`)
 * and records `group_duration`; custom metrics are registered once whichever VU declares them first.
 */
import type { MetricType, Tags, ValueType } from './metrics.js';
import { Interrupted, type VirtualUser } from './vu.js';

const GROUP_SEPARATOR = '::';

export function coreModule(vu: VirtualUser) {
  const run = vu.run;

  const check = (value: unknown, conditions: Record<string, unknown>, tags?: Record<string, string | number>): boolean => {
    if (conditions === null || typeof conditions !== 'object') throw new Error('no checks provided to `check`');
    const common: Record<string, string> = vu.tags();
    for (const [key, tagValue] of Object.entries(tags ?? {})) common[key] = String(tagValue);
    let passed = true;
    for (const name of Object.keys(conditions)) {
      if (name.includes(GROUP_SEPARATOR)) throw new Error(`group and check names may not contain '${GROUP_SEPARATOR}'`);
      let result: unknown = conditions[name];
      let thrown: unknown;
      if (typeof result === 'function') {
        if (result.constructor.name === 'AsyncFunction')
          throw new Error('the built-in check() does not support async functions as arguments');
        try {
          result = (result as (v: unknown) => unknown)(value);
        } catch (error) {
          thrown = error;
          result = false;
        }
      }
      const ok = Boolean(result);
      if (!ok) passed = false;
      run.registry.add(run.builtins.checks, ok ? 1 : 0, { ...common, check: name });
      if (thrown !== undefined) throw thrown;
    }
    return passed;
  };

  const group = async (name: string, fn: () => unknown): Promise<unknown> => {
    if (typeof fn !== 'function') throw new Error('group() requires a callback as a second argument');
    if (name.includes(GROUP_SEPARATOR)) throw new Error(`group and check names may not contain '${GROUP_SEPARATOR}'`);
    const outer = vu.group;
    vu.group = `${outer}${GROUP_SEPARATOR}${name}`;
    const started = performance.now();
    try {
      return await fn();
    } finally {
      const tags = vu.tags();
      if (!vu.signal.aborted) run.registry.add(run.builtins.groupDuration, performance.now() - started, tags);
      vu.group = outer;
    }
  };

  const sleep = (seconds: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (vu.signal.aborted) {
        reject(new Interrupted());
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(new Interrupted());
      };
      const timer = setTimeout(
        () => {
          vu.signal.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, Number(seconds) * 1000),
      );
      vu.signal.addEventListener('abort', onAbort, { once: true });
    });

  const fail = (message?: string): never => {
    throw new Error(message ?? '');
  };

  return { check, group, sleep, fail };
}

export function metricsModule(vu: VirtualUser) {
  const run = vu.run;

  const make = (type: MetricType) =>
    class {
      readonly name: string;
      private readonly metric;
      constructor(name: string, isTime = false) {
        const contains: ValueType = type === 'trend' && isTime ? 'time' : 'default';
        this.metric = run.registry.metric(name, type, contains);
        this.name = name;
      }
      add(value: number | boolean, tags?: Tags): boolean {
        const number = typeof value === 'boolean' ? (value ? 1 : 0) : Number(value);
        if (!Number.isFinite(number)) throw new Error(`${this.name}.add: "${String(value)}" is not a number`);
        run.registry.add(this.metric, number, { ...vu.tags(), ...tags });
        return true;
      }
    };

  return { Counter: make('counter'), Gauge: make('gauge'), Rate: make('rate'), Trend: make('trend') };
}
