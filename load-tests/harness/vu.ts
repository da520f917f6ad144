/**
 * A virtual user: its own instance of the script's modules (module-level variables are per VU, as in k6), its
 * cookie jar, its place in the group tree, and the signal that interrupts its iteration when an executor's
 * time is up.
 */
import type { CookieJar } from './cookies.js';
import type { HttpClient } from './http-client.js';
import type { BuiltinMetrics, Registry, Tags } from './metrics.js';

/** Thrown into an iteration that an executor stops; not an error of the script. */
export class Interrupted extends Error {
  override name = 'Interrupted';
  constructor() {
    super('the iteration was interrupted');
  }
}

export type ResponseCallback = ((response: { status: number }) => boolean) | null;

export interface RunContext {
  registry: Registry;
  builtins: BuiltinMetrics;
  client: HttpClient;
  /** `options.tags`: laid on every sample. */
  runTags: Tags;
  /** `options.batch` / `options.batchPerHost`, `options.maxRedirects`, `options.throw`, `options.noCookiesReset`. */
  batch: number;
  batchPerHost: number;
  maxRedirects: number;
  throwOnError: boolean;
  noCookiesReset: boolean;
  userAgent: string;
  /** Where the script's console goes. */
  log(level: 'log' | 'info' | 'warn' | 'error' | 'debug', ...args: unknown[]): void;
}

export interface ScenarioTags {
  name: string;
  tags: Tags;
  env: Record<string, string>;
}

export class VirtualUser {
  /** `__ITER`: this VU's iterations in its current scenario, from 0. */
  iteration = 0;
  scenario: ScenarioTags | undefined;
  /** The current group path: '' at the root, `::outer::inner` inside groups. */
  group = '';
  responseCallback: ResponseCallback;
  private interrupt = new AbortController();
  /** The script's exports for this VU (set once its modules are evaluated). */
  exports: Record<string, unknown> = {};

  constructor(
    readonly id: number,
    readonly run: RunContext,
    readonly jar: CookieJar,
    defaultResponseCallback: ResponseCallback,
  ) {
    this.responseCallback = defaultResponseCallback;
  }

  get signal(): AbortSignal {
    return this.interrupt.signal;
  }

  /** Stops what the VU is waiting for now (a request, a sleep); its iteration ends without being counted. */
  stop(): void {
    this.interrupt.abort();
  }

  /** A fresh signal for the next iteration. */
  rearm(): void {
    if (this.interrupt.signal.aborted) this.interrupt = new AbortController();
  }

  throwIfStopped(): void {
    if (this.interrupt.signal.aborted) throw new Interrupted();
  }

  /** The tags every sample of this VU carries now. */
  tags(): Record<string, string> {
    const tags: Record<string, string> = { ...this.run.runTags, ...this.scenario?.tags, group: this.group };
    if (this.scenario) tags.scenario = this.scenario.name;
    return tags;
  }
}
