import { createMoalogDb } from '@moalog/db/clients';
import {
  memberResponses,
  memberRetroRooms,
  memberRetros,
  memberSubscriptions,
  responses,
  retroRooms,
  retrospects,
} from '@moalog/db/moalog-schema';
import { beforeAll, describe, expect, it } from 'vitest';
import { app, bearer, env, envelope, insertMember, loginAs } from '../../../test/helpers.js';

const db = createMoalogDb({ url: env.MOALOG_DATABASE_URL as string });
const PROJECT = '모아로그 회고 프로젝트';

let ownerToken: string;
let drafterToken: string;
let outsiderToken: string;
let retrospectId: number;

/** A room with one submitted participant (5 answers) and one drafting participant, inserted directly. */
beforeAll(async () => {
  const owner = await insertMember('exp');
  const drafter = await insertMember('exd');
  const outsider = await insertMember('exo');
  const [room] = await db
    .insert(retroRooms)
    .values({
      title: `ex-${crypto.randomUUID().slice(0, 12)}`,
      invitionUrl: `INV-${Date.now() % 10000}-0000`,
      inviteCodeCreatedAt: new Date(),
    })
    .$returningId();
  await db.insert(memberRetroRooms).values([
    { memberId: owner.memberId, retroRoomId: room!.retroRoomId, role: 'OWNER', orderIndex: 1 },
    { memberId: drafter.memberId, retroRoomId: room!.retroRoomId, role: 'MEMBER', orderIndex: 1 },
  ]);
  const [retro] = await db
    .insert(retrospects)
    .values({
      title: PROJECT.slice(0, 20),
      retrospectMethod: 'KPT',
      startTime: new Date(Date.now() + 86_400_000),
      retroRoomId: room!.retroRoomId,
    })
    .$returningId();
  retrospectId = retro!.retrospectId;
  await db.insert(memberRetros).values([
    { memberId: owner.memberId, retrospectId, status: 'SUBMITTED', submittedAt: new Date() },
    { memberId: drafter.memberId, retrospectId, status: 'DRAFT' },
  ]);
  for (const [author, status] of [
    [owner.memberId, 'submitted'],
    [drafter.memberId, 'draft'],
  ] as const) {
    for (let q = 1; q <= 5; q++) {
      const [resp] = await db
        .insert(responses)
        .values({
          question: `질문 ${q}: 이번 스프린트에서 좋았던 점은?`,
          content: `${status} 답변 ${q} — 한글과 English 혼합 😀`,
          retrospectId,
        })
        .$returningId();
      await db.insert(memberResponses).values({ memberId: author, responseId: resp!.responseId });
    }
  }
  // PDF export is a paid feature: the owner is on PRO, the drafter on FREE.
  await db.insert(memberSubscriptions).values({ memberId: owner.memberId, planName: 'PRO', status: 'ACTIVE' });
  ownerToken = await loginAs(owner.email);
  drafterToken = await loginAs(drafter.email);
  outsiderToken = await loginAs(outsider.email);
});

describe('GET /api/v1/retrospects/{id}/export — happy', () => {
  it('answers a PDF attachment with the original headers', async () => {
    const res = await app.request(`/api/v1/retrospects/${retrospectId}/export`, { headers: bearer(ownerToken) }, env);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      new RegExp(`^attachment; filename="retrospect_report_${retrospectId}_\\d{8}_\\d{6}\\.pdf"$`),
    );
    expect(res.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe('%PDF-');
    expect(new TextDecoder().decode(bytes.slice(-6))).toContain('%%EOF');
    // Subsetting keeps the document far below the 2 MB font it embeds.
    expect(bytes.byteLength).toBeLessThan(300_000);
  });
});

describe('GET /api/v1/retrospects/{id}/export — errors and security', () => {
  it('answers 404 RETRO4041 for a missing retrospect', async () => {
    const res = await app.request('/api/v1/retrospects/987654321/export', { headers: bearer(ownerToken) }, env);
    expect(res.status).toBe(404);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'RETRO4041' });
  });

  it('answers 400 for a non-numeric id and 401 without a token', async () => {
    expect((await app.request('/api/v1/retrospects/x1/export', { headers: bearer(ownerToken) }, env)).status).toBe(400);
    expect((await app.request(`/api/v1/retrospects/${retrospectId}/export`, {}, env)).status).toBe(401);
  });

  it('answers 403 PAY4031 and no PDF to a member of the room whose plan is FREE', async () => {
    const res = await app.request(`/api/v1/retrospects/${retrospectId}/export`, { headers: bearer(drafterToken) }, env);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'PAY4031', result: null });
  });

  it('answers 403 RETRO4031 and no PDF to a member of another room', async () => {
    const res = await app.request(`/api/v1/retrospects/${retrospectId}/export`, { headers: bearer(outsiderToken) }, env);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'RETRO4031', result: null });
  });
});
