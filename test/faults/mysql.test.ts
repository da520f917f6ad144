/**
 * MySQL down, played by a relay in front of the real MySQL that local-cloud's PlanetScale face reaches it
 * through. While it lasts the api answers every route that needs the database with an enveloped 503 and
 * Retry-After, quickly (no hang), the deep health check names MySQL as the dependency that is down, and
 * nothing is half-written; when MySQL is back, everything works again without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../e2e/subscriptions-support.js';
import { type FaultPlatform, type Member, startFaultPlatform } from './support/platform.js';
import { AnswerLog, recordFaultRow } from './support/report.js';
import { repeat } from './support/scenario.js';

/** A generous bound on one answer while MySQL is down; the figures are printed. */
const ANSWER_BOUND_MS = 5_000;

let env: FaultPlatform;
let member: Member;

beforeAll(async () => {
  env = await startFaultPlatform('mysql');
  [member] = (await env.newMembers(1)) as [Member];
}, 180_000);

afterAll(async () => {
  await env?.relays.mysql.restore();
  await env?.close();
});

async function roomCount(): Promise<number> {
  const [rows] = (await env.mysql.query('SELECT count(*) AS n FROM retro_room')) as unknown as [Array<{ n: number }>];
  return Number(rows[0]?.n ?? 0);
}

describe('MySQL down', () => {
  it('answers an enveloped 503 quickly, /health?deep names mysql, writes nothing, and recovers by itself', async () => {
    const log = new AnswerLog();
    const roomsBefore = await roomCount();
    await env.relays.mysql.cut();

    const during = new AnswerLog();
    const answers: Array<{ status: number; code: string | undefined; retryAfter: string | null; path: string }> = [];
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/v1/retro-rooms'],
      ['GET', '/api/v1/members/me'],
      ['POST', '/api/v1/retro-rooms', { title: `down ${crypto.randomUUID().slice(0, 8)}`, description: 'x' }],
      ['GET', '/api/v1/subscriptions/me'],
    ];
    await repeat(40, 5, async (i) => {
      const [method, path, body] = routes[i % routes.length]!;
      const answer = await env.call(member, method, path, {
        body: typeof body === 'object' && body ? { ...body, title: `down ${i} ${crypto.randomUUID().slice(0, 8)}` } : body,
        log: during,
      });
      answers.push({ status: answer.status, code: answer.body?.code, retryAfter: answer.headers.get('retry-after'), path });
    });
    const health = await env.call(null, 'GET', '/health?deep=true', { log: during });

    await env.relays.mysql.restore();
    const restored = Date.now();
    const after = new AnswerLog();
    await waitFor(
      async () => ((await env.call(member, 'GET', '/api/v1/retro-rooms', { log: after })).status === 200 ? true : undefined),
      30_000,
    );
    const recoveryMs = Date.now() - restored;
    const created = await env.call(member, 'POST', '/api/v1/retro-rooms', {
      body: { title: `back ${crypto.randomUUID().slice(0, 8)}`, description: 'x' },
      log: after,
    });
    const healthAfter = await env.call(null, 'GET', '/health?deep=true', { log: after });
    const roomsAfter = await roomCount();

    for (const l of [during, after]) {
      for (const [status, n] of Object.entries(l.statuses)) log.statuses[status] = (log.statuses[status] ?? 0) + n;
      log.elapsedMs.push(...l.elapsedMs);
    }
    const all503 = answers.every((a) => a.status === 503 && a.code === 'COMMON503' && a.retryAfter !== null);
    const slowest = Math.max(...during.elapsedMs);
    const passed =
      all503 &&
      slowest < ANSWER_BOUND_MS &&
      health.status === 503 &&
      health.body !== undefined &&
      JSON.stringify(health.body).includes('"mysql":"down"') &&
      created.status === 200 &&
      healthAfter.status === 200 &&
      roomsAfter === roomsBefore + 1;
    recordFaultRow({
      fault: 'MySQL down (relay cut)',
      requests: log.requests,
      statuses: log.statuses,
      timing: `while down: ${during.timing()}`,
      checked: `every answer while down: ${[...new Set(answers.map((a) => `${a.status} ${a.code}`))].join(', ')}; /health?deep=true ${health.status} ${health.text.slice(0, 120)}; retro_room rows ${roomsBefore} → ${roomsAfter} (one write after the restore, none while down); reads 200 again ${recoveryMs} ms after the restore, /health?deep=true then ${healthAfter.status}`,
      result: passed ? 'pass' : 'fail',
    });

    expect(answers.filter((a) => a.status !== 503 || a.code !== 'COMMON503')).toEqual([]);
    expect(answers.every((a) => a.retryAfter !== null)).toBe(true);
    expect(slowest).toBeLessThan(ANSWER_BOUND_MS);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'unhealthy', dependencies: { mysql: 'down' } });
    expect(created.status).toBe(200);
    expect(healthAfter.status).toBe(200);
    expect(healthAfter.body).toMatchObject({ status: 'healthy', dependencies: { mysql: 'up' } });
    expect(roomsAfter).toBe(roomsBefore + 1);
  }, 120_000);
});
