import { createHash } from 'node:crypto';

/** Shebang flags Redis 7.0 understands; any other flag makes it refuse the whole script. */
const FLAGS_REDIS_KNOWS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);

/** Past this many rewritten scripts the oldest mappings are forgotten (clients then get NOSCRIPT and send EVAL). */
const MAX_REMEMBERED_SCRIPTS = 10_000;

export function sha1Hex(data: string | Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

/**
 * Drops the shebang flags Redis does not know (Upstash's `allow-key-locking`, sent by
 * @upstash/ratelimit ≥ 2.1) and keeps the rest. Returns null when the script needs no change.
 */
export function rewriteScriptFlags(script: string | Buffer): Buffer | null {
  const bytes = typeof script === 'string' ? Buffer.from(script, 'utf8') : script;
  if (bytes.length < 2 || bytes[0] !== 0x23 /* # */ || bytes[1] !== 0x21 /* ! */) return null;
  const lineEnd = bytes.indexOf(0x0a);
  const firstLine = bytes.subarray(0, lineEnd === -1 ? bytes.length : lineEnd).toString('utf8');
  let changed = false;
  const parts: string[] = [];
  for (const part of firstLine.split(' ')) {
    if (!part.startsWith('flags=')) {
      parts.push(part);
      continue;
    }
    const flags = part
      .slice('flags='.length)
      .split(',')
      .filter((flag) => flag !== '');
    const kept = flags.filter((flag) => FLAGS_REDIS_KNOWS.has(flag));
    if (kept.length === flags.length) {
      parts.push(part);
      continue;
    }
    changed = true;
    if (kept.length > 0) parts.push(`flags=${kept.join(',')}`);
  }
  if (!changed) return null;
  const rest = lineEnd === -1 ? Buffer.alloc(0) : bytes.subarray(lineEnd);
  return Buffer.concat([Buffer.from(parts.join(' '), 'utf8'), rest]);
}

/**
 * Remembers, for every script the face had to rewrite, which SHA1 Redis knows it by, so
 * EVALSHA with the client's own hash (hard-coded in @upstash/ratelimit) reaches the rewritten script.
 */
export class ScriptRegistry {
  private readonly redisShaByClientSha = new Map<string, string>();

  remember(clientSha: string, redisSha: string): void {
    this.redisShaByClientSha.delete(clientSha);
    this.redisShaByClientSha.set(clientSha, redisSha);
    if (this.redisShaByClientSha.size > MAX_REMEMBERED_SCRIPTS) {
      const oldest = this.redisShaByClientSha.keys().next().value;
      if (oldest !== undefined) this.redisShaByClientSha.delete(oldest);
    }
  }

  /** The hash to send Redis for a hash the client sent (Redis compares hashes case-insensitively). */
  redisShaFor(clientSha: string): string {
    const normalized = clientSha.toLowerCase();
    return this.redisShaByClientSha.get(normalized) ?? clientSha;
  }

  forgetAll(): void {
    this.redisShaByClientSha.clear();
  }

  /**
   * Rewrites the script if Redis would reject its flags; returns what to send Redis and the
   * hash the client computed for its own text.
   */
  prepare(script: string | Buffer): { script: string | Buffer; clientSha: string } {
    const clientSha = sha1Hex(script);
    const rewritten = rewriteScriptFlags(script);
    if (!rewritten) return { script, clientSha };
    this.remember(clientSha, sha1Hex(rewritten));
    return { script: rewritten, clientSha };
  }
}
