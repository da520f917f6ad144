import { Miniflare, serializeConfig } from 'miniflare';
import { afterAll, describe, expect, it } from 'vitest';
import { useWorkerdV8Flags, withV8Flags } from './workerd-v8-flags.js';

/** Follows the root struct's v8Flags pointer (a far pointer to a landing pad) to its list of texts. */
function readV8Flags(message: Buffer): string[] {
  const segments = message.readUInt32LE(0) + 1;
  const header = Math.ceil((4 + 4 * segments) / 8) * 8;
  const starts: number[] = [];
  for (let i = 0, at = header; i < segments; i++) {
    starts.push(at);
    at += 8 * message.readUInt32LE(4 + 4 * i);
  }
  const root = starts[0] ?? 0;
  const struct = root + 8 * (1 + (message.readInt32LE(root) >> 2));
  const slot = struct + 8 * ((message.readUInt32LE(root + 4) & 0xffff) + 2);
  expect(message.readUInt32LE(slot) & 3).toBe(2);
  const pad = (starts[message.readUInt32LE(slot + 4)] ?? 0) + 8 * (message.readUInt32LE(slot) >>> 3);
  expect(message.readUInt32LE(pad) & 3).toBe(1);
  expect(message.readUInt32LE(pad + 4) & 7).toBe(6);
  const list = pad + 8 + 8 * (message.readInt32LE(pad) >> 2);
  return Array.from({ length: message.readUInt32LE(pad + 4) >>> 3 }, (_, i) => {
    const pointer = list + 8 * i;
    expect(message.readUInt32LE(pointer + 4) & 7).toBe(2);
    const text = pointer + 8 + 8 * (message.readInt32LE(pointer) >> 2);
    const bytes = message.readUInt32LE(pointer + 4) >>> 3;
    expect(message[text + bytes - 1]).toBe(0);
    return message.toString('utf8', text, text + bytes - 1);
  });
}

describe('withV8Flags', () => {
  const config = serializeConfig({ services: [{ name: 'main', worker: { compatibilityDate: '2026-04-20' } }], sockets: [] });

  it('points the root struct’s v8Flags at the flags in one added segment, the rest as Miniflare wrote it', () => {
    const flags = ['--expose-gc', '--max-semi-space-size=1', '--memory-balancer'];
    const patched = withV8Flags(config, flags);
    expect(readV8Flags(patched)).toEqual(flags);
    const segments = config.readUInt32LE(0) + 1;
    expect(patched.readUInt32LE(0) + 1).toBe(segments + 1);
    const oldHeader = Math.ceil((4 + 4 * segments) / 8) * 8;
    const newHeader = Math.ceil((4 + 4 * (segments + 1)) / 8) * 8;
    const body = (message: Buffer, header: number) => message.subarray(header, header + config.length - oldHeader);
    const changed = [...body(config, oldHeader)].flatMap((byte, i) => (byte === body(patched, newHeader)[i] ? [] : [i]));
    // Only the v8Flags slot (one word of the root struct) differs.
    expect(changed.length).toBeGreaterThan(0);
    expect(Math.max(...changed) - Math.min(...changed)).toBeLessThan(8);
  });

  it('refuses what is not a config message and a config that already has flags', () => {
    expect(() => withV8Flags(new Uint8Array(8), ['--expose-gc'])).toThrow(/too short/);
    expect(() => withV8Flags(config.subarray(0, config.length - 8), ['--expose-gc'])).toThrow(/header says/);
    expect(() => withV8Flags(withV8Flags(config, ['--expose-gc']), ['--expose-gc'])).toThrow(/already sets v8Flags/);
  });
});

describe('useWorkerdV8Flags', () => {
  const started: Miniflare[] = [];
  afterAll(async () => {
    for (const mf of started) await mf.dispose();
  });

  it('makes the workerd that Miniflare starts run V8 with the flags', async () => {
    useWorkerdV8Flags(['--expose-gc']);
    const mf = new Miniflare({
      modules: true,
      script: 'export default { fetch() { return new Response(typeof globalThis.gc); } };',
      compatibilityDate: '2026-04-20',
    });
    started.push(mf);
    const answer = await mf.dispatchFetch('http://localhost/');
    expect(await answer.text()).toBe('function');
  });

  it('refuses another set of flags once installed', () => {
    expect(() => useWorkerdV8Flags(['--max-semi-space-size=1'])).toThrow(/already --expose-gc/);
    expect(() => useWorkerdV8Flags(['--expose-gc'])).not.toThrow();
  });
});
