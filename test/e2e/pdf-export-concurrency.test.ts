/**
 * PDF exports as clients send them at once, through the gateway of the real platform (gateway → api →
 * export worker): every answer is the PDF or an enveloped 429/503 with Retry-After — never a 500, never
 * silence — and an export worker the api cannot reach is an enveloped 503, not a 500.
 */
import { type Platform, startPlatform } from '@moalog/test-support/platform';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let platform: Platform;
let unreachable: Platform;
let authorization: string;
let retrospectId: number;

async function withMysql<T>(use: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection(process.env.TEST_MOALOG_MYSQL_URL ?? '');
  try {
    return await use(connection);
  } finally {
    await connection.end();
  }
}

/** A PRO member owning a room with one submitted retrospect of three answers, written straight to the run's database. */
async function exportableRetrospect(): Promise<{ email: string; retrospectId: number }> {
  const tag = crypto.randomUUID().replace(/-/g, '').slice(0, 12);
  return withMysql(async (connection) => {
    const [member] = await connection.execute<mysql.ResultSetHeader>(
      "INSERT INTO member (email, nickname, social_type) VALUES (?, ?, 'KAKAO')",
      [`pdf${tag}@e2e.moalog.me`, `pdf${tag}`],
    );
    const memberId = member.insertId;
    await connection.execute("INSERT INTO member_subscription (member_id, plan_name, status) VALUES (?, 'PRO', 'ACTIVE')", [memberId]);
    const [room] = await connection.execute<mysql.ResultSetHeader>(
      'INSERT INTO retro_room (title, invition_url, invite_code_created_at) VALUES (?, ?, NOW())',
      [`pdf-${tag}`, `INV-PDF-${tag}`],
    );
    await connection.execute("INSERT INTO member_retro_room (member_id, retrospect_room_id, role, order_index) VALUES (?, ?, 'OWNER', 1)", [
      memberId,
      room.insertId,
    ]);
    const [retro] = await connection.execute<mysql.ResultSetHeader>(
      "INSERT INTO retrospects (title, retrospect_method, start_time, retrospect_room_id) VALUES ('동시 내보내기', 'KPT', NOW(), ?)",
      [room.insertId],
    );
    await connection.execute(
      "INSERT INTO member_retro (member_id, retrospect_id, status, submitted_at) VALUES (?, ?, 'SUBMITTED', NOW())",
      [memberId, retro.insertId],
    );
    for (let q = 1; q <= 3; q++) {
      const [response] = await connection.execute<mysql.ResultSetHeader>(
        'INSERT INTO response (question, response, retrospect_id) VALUES (?, ?, ?)',
        [`질문 ${q}: 이번 스프린트에서 좋았던 점은?`, `답변 ${q} — 한글과 English`, retro.insertId],
      );
      await connection.execute('INSERT INTO member_response (member_id, response_id) VALUES (?, ?)', [memberId, response.insertId]);
    }
    return { email: `pdf${tag}@e2e.moalog.me`, retrospectId: retro.insertId };
  });
}

async function logIn(target: Platform, email: string): Promise<string> {
  const res = await target.fetch('/api/auth/login/email', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('access_token='));
  return `Bearer ${cookie?.slice('access_token='.length, cookie.indexOf(';'))}`;
}

beforeAll(async () => {
  platform = await startPlatform();
  const seeded = await exportableRetrospect();
  retrospectId = seeded.retrospectId;
  authorization = await logIn(platform, seeded.email);
}, 180_000);

afterAll(async () => {
  await Promise.all([platform?.dispose(), unreachable?.dispose()]);
});

const exportPath = () => `/api/v1/retrospects/${retrospectId}/export`;

describe('PDF export under concurrency, through the gateway', () => {
  it.each([20, 50])(
    '%i simultaneous exports: each a PDF or an enveloped 429/503 with Retry-After',
    async (count) => {
      const answers = await Promise.all(Array.from({ length: count }, () => platform.fetch(exportPath(), { headers: { authorization } })));
      const statuses: Record<number, number> = {};
      for (const res of answers) {
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 200) {
          expect(res.headers.get('content-type')).toBe('application/pdf; charset=utf-8');
          const bytes = new Uint8Array(await res.arrayBuffer());
          expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe('%PDF-');
          expect(new TextDecoder().decode(bytes.slice(-6))).toContain('%%EOF');
        } else {
          expect([429, 503], `status ${res.status}`).toContain(res.status);
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(res.headers.get('content-type')).toMatch(/^application\/json/);
          expect(await res.json()).toMatchObject({ isSuccess: false, code: res.status === 503 ? 'COMMON503' : 'RATE4291', result: null });
        }
      }
      console.log(`${count} simultaneous exports: ${JSON.stringify(statuses)}`);
      expect(statuses[200] ?? 0).toBeGreaterThan(0);
      // And the platform still answers a single export afterwards.
      expect((await platform.fetch(exportPath(), { headers: { authorization } })).status).toBe(200);
    },
    180_000,
  );

  it('answers an enveloped 503 with Retry-After when the api cannot reach the export worker', async () => {
    unreachable = await startPlatform({}, { serviceBindings: { api: { EXPORT: { external: { address: '127.0.0.1:9', http: {} } } } } });
    const own = await exportableRetrospect();
    const token = await logIn(unreachable, own.email);
    const res = await unreachable.fetch(`/api/v1/retrospects/${own.retrospectId}/export`, { headers: { authorization: token } });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await res.json()).toMatchObject({ isSuccess: false, code: 'COMMON503', result: null });
  }, 180_000);
});
