import { BoundedMap } from '../bounded-map.js';
import type { CompletionKind } from './openai-content.js';
import { MAX_SCOPES } from './openai-switches.js';

/** Counters of the calls the OpenAI face served, per API key and in total (`GET /openai/__stats`). */

export interface OpenAiStats {
  requests: number;
  completions: number;
  errors: Record<string, number>;
  byKind: Record<CompletionKind, number>;
  promptTokens: number;
  completionTokens: number;
}

export function emptyStats(): OpenAiStats {
  return { requests: 0, completions: 0, errors: {}, byKind: { analysis: 0, guide: 0, other: 0 }, promptTokens: 0, completionTokens: 0 };
}

export class OpenAiCounters {
  private readonly byKey = new BoundedMap<string, OpenAiStats>(MAX_SCOPES);
  private readonly total = emptyStats();

  /** Applies one update to a key's counters and to the total. */
  count(key: string, update: (stats: OpenAiStats) => void): void {
    update(this.total);
    let stats = this.byKey.get(key);
    if (!stats) {
      stats = emptyStats();
      this.byKey.set(key, stats);
    }
    update(stats);
  }

  countError(key: string, status: number | 'aborted'): void {
    this.count(key, (stats) => {
      stats.errors[String(status)] = (stats.errors[String(status)] ?? 0) + 1;
    });
  }

  /** Drops one key's counters, or every counter and the total without a key. */
  reset(key?: string): void {
    if (key !== undefined) {
      this.byKey.delete(key);
      return;
    }
    this.byKey.clear();
    Object.assign(this.total, emptyStats());
  }

  /** A copy of one key's counters, or of the total. */
  snapshot(key?: string): OpenAiStats {
    return structuredClone(key === undefined ? this.total : (this.byKey.get(key) ?? emptyStats()));
  }
}
