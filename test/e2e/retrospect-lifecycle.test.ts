/**
 * A retrospect's whole life, through the gateway of the real platform (gateway → api → PlanetScale face of
 * local-cloud → this run's MySQL database): a room is created, a second member joins by the invite link,
 * a retrospect is scheduled, both take part, save drafts and submit, the answers are read page by page,
 * commented on and liked, found by search and in storage, exported as a PDF, and finally deleted.
 */
import { type Platform, startPlatform } from '@moalog/test-support/platform';
import mysql from 'mysql2/promise';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Envelope {
  isSuccess: boolean;
  code: string;
  message: string;
  result: any;
}

interface Member {
  memberId: number;
  email: string;
  nickname: string;
  /** How this member authenticates: a Bearer header, or the access_token cookie like a browser. */
  auth: Record<string, string>;
}

let platform: Platform;

/** Inserts a fresh member straight into the run's database (the dev login only finds existing members). */
async function insertMember(label: string): Promise<Omit<Member, 'auth'>> {
  const nickname = `${label}${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const email = `${nickname}@e2e.moalog.me`;
  const connection = await mysql.createConnection(process.env.TEST_MOALOG_MYSQL_URL ?? '');
  try {
    const [result] = await connection.execute<mysql.ResultSetHeader>('INSERT INTO member (email, nickname, social_type) VALUES (?, ?, ?)', [
      email,
      nickname,
      'KAKAO',
    ]);
    return { memberId: result.insertId, email, nickname };
  } finally {
    await connection.end();
  }
}

/** An ACTIVE subscription of the member, written as the payment events leave it. */
async function subscribeActive(memberId: number, plan: 'PRO' | 'TEAM'): Promise<void> {
  const connection = await mysql.createConnection(process.env.TEST_MOALOG_MYSQL_URL ?? '');
  try {
    await connection.execute("INSERT INTO member_subscription (member_id, plan_name, status) VALUES (?, ?, 'ACTIVE')", [memberId, plan]);
  } finally {
    await connection.end();
  }
}

async function logIn(member: Omit<Member, 'auth'>, via: 'bearer' | 'cookie'): Promise<Member> {
  const res = await platform.fetch('/api/auth/login/email', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: member.email }),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('access_token='));
  expect(cookie).toBeDefined();
  const token = cookie!.slice('access_token='.length, cookie!.indexOf(';'));
  return { ...member, auth: via === 'bearer' ? { authorization: `Bearer ${token}` } : { cookie: `access_token=${token}` } };
}

async function call(member: Member, method: string, path: string, body?: unknown): Promise<{ status: number; body: Envelope }> {
  const headers: Record<string, string> = { ...member.auth };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await platform.fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Envelope };
}

/** The call must succeed (200, isSuccess); returns its result. */
async function ok(member: Member, method: string, path: string, body?: unknown): Promise<any> {
  const answer = await call(member, method, path, body);
  expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBe(200);
  expect(answer.body).toMatchObject({ isSuccess: true, code: 'COMMON200' });
  return answer.body.result;
}

/** The text of every page of a PDF, as a reader would extract it. */
async function pdfText(bytes: Uint8Array): Promise<string> {
  const doc = await getDocument({ data: bytes, useSystemFonts: false, isEvalSupported: false }).promise;
  let text = '';
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    text += `${content.items.map((item) => ('str' in item ? item.str : '')).join('')}\n`;
  }
  await doc.destroy();
  return text;
}

/** Tomorrow's date in Korea, as the create form sends it. */
function kstTomorrow(): string {
  return new Date(Date.now() + 9 * 3600_000 + 24 * 3600_000).toISOString().slice(0, 10);
}

function answers(who: string) {
  return [1, 2, 3, 4, 5].map((questionNumber) => ({ questionNumber, content: `${who}: answer ${questionNumber}` }));
}

describe('a retrospect from start to end, through the gateway', () => {
  let owner: Member;
  let teammate: Member;

  beforeAll(async () => {
    platform = await startPlatform();
    const [a, b] = await Promise.all([insertMember('own'), insertMember('mate')]);
    owner = await logIn(a, 'bearer');
    teammate = await logIn(b, 'cookie');
  }, 90_000);

  afterAll(async () => {
    await platform?.dispose();
  });

  it('walks room → invite → join → retrospect → participate → drafts → submit → answers → comment → like → search → storage → export → delete', async () => {
    const token = `e2e${crypto.randomUUID().replace(/-/g, '').slice(0, 8)}`;

    // The owner creates a room and shares its invite link.
    const room = await ok(owner, 'POST', '/api/v1/retro-rooms', { title: `room-${token}`, description: 'end-to-end' });
    expect(room).toEqual({
      retroRoomId: expect.any(Number),
      title: `room-${token}`,
      inviteCode: expect.stringMatching(/^INV-\d{4}-\d{4}$/),
    });
    const inviteUrl = `https://moalog.me/invite?from=share&code=${room.inviteCode}`;

    // The teammate joins by the link.
    const joined = await ok(teammate, 'POST', '/api/v1/retro-rooms/join', { inviteUrl });
    expect(joined).toMatchObject({ retroRoomId: room.retroRoomId, title: room.title });
    const members = await ok(teammate, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/members`);
    expect(members.map((m: { memberId: number; role: string }) => [m.memberId, m.role])).toEqual([
      [owner.memberId, 'OWNER'],
      [teammate.memberId, 'MEMBER'],
    ]);
    expect(await ok(teammate, 'GET', '/api/v1/retro-rooms')).toEqual([
      { retroRoomId: room.retroRoomId, retroRoomName: room.title, orderIndex: 1 },
    ]);

    // The owner schedules a retrospect for tomorrow evening (Korean time).
    const retrospectDate = kstTomorrow();
    const created = await ok(owner, 'POST', '/api/v1/retrospects', {
      retroRoomId: room.retroRoomId,
      projectName: `${token} 스프린트`,
      retrospectDate,
      retrospectTime: '19:30',
      retrospectMethod: 'KPT',
      referenceUrls: ['https://github.com/moalog/moalog/pull/1'],
    });
    const { retrospectId } = created;
    expect(await ok(teammate, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/retrospects`)).toEqual([
      {
        retrospectId,
        projectName: `${token} 스프린트`,
        retrospectMethod: 'KPT',
        retrospectDate,
        retrospectTime: '19:30',
        participantCount: 0,
      },
    ]);
    expect(await ok(teammate, 'GET', `/api/v1/retrospects/${retrospectId}/references`)).toEqual([
      {
        referenceId: expect.any(Number),
        urlName: 'https://github.com/moalog/moalog/pull/1',
        url: 'https://github.com/moalog/moalog/pull/1',
      },
    ]);

    // Both take part.
    expect(await ok(owner, 'POST', `/api/v1/retrospects/${retrospectId}/participants`)).toMatchObject({
      memberId: owner.memberId,
      nickname: owner.nickname,
    });
    expect(await ok(teammate, 'POST', `/api/v1/retrospects/${retrospectId}/participants`)).toMatchObject({ memberId: teammate.memberId });
    const detail = await ok(teammate, 'GET', `/api/v1/retrospects/${retrospectId}`);
    expect(detail).toMatchObject({
      retroRoomId: room.retroRoomId,
      title: `${token} 스프린트`,
      startTime: retrospectDate,
      retroCategory: 'KPT',
    });
    expect(detail.members).toEqual([
      { memberId: owner.memberId, userName: owner.nickname },
      { memberId: teammate.memberId, userName: teammate.nickname },
    ]);
    expect(detail.questions).toHaveLength(5);

    // Drafts first, then the final answers.
    await ok(owner, 'PUT', `/api/v1/retrospects/${retrospectId}/drafts`, { drafts: [{ questionNumber: 1, content: 'thinking…' }] });
    await ok(teammate, 'PUT', `/api/v1/retrospects/${retrospectId}/drafts`, {
      drafts: [{ questionNumber: 2, content: 'draft' }, { questionNumber: 3 }],
    });
    expect(await ok(owner, 'GET', `/api/v1/retrospects/${retrospectId}/responses?category=ALL`)).toEqual({
      responses: [],
      hasNext: false,
      nextCursor: null,
    });
    expect(await ok(owner, 'POST', `/api/v1/retrospects/${retrospectId}/submit`, { answers: answers('owner') })).toMatchObject({
      retrospectId,
      status: 'SUBMITTED',
    });
    expect(await ok(teammate, 'POST', `/api/v1/retrospects/${retrospectId}/submit`, { answers: answers('mate') })).toMatchObject({
      status: 'SUBMITTED',
    });

    // The answers, page by page, newest first.
    const listed: Array<{ responseId: number; userName: string; content: string }> = [];
    let cursor: number | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '' : `&cursor=${cursor}`;
      const page = await ok(owner, 'GET', `/api/v1/retrospects/${retrospectId}/responses?category=ALL&size=4${query}`);
      listed.push(...page.responses);
      cursor = page.nextCursor;
      pages++;
      expect(page.hasNext).toBe(cursor !== null);
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(listed).toHaveLength(10);
    expect(listed.map((r) => r.responseId)).toEqual([...listed.map((r) => r.responseId)].sort((x, y) => y - x));
    expect(new Set(listed.map((r) => r.content))).toEqual(new Set([...answers('owner'), ...answers('mate')].map((a) => a.content)));
    const keep = await ok(teammate, 'GET', `/api/v1/retrospects/${retrospectId}/responses?category=QUESTION_1`);
    expect(keep.responses.map((r: { content: string; userName: string }) => [r.userName, r.content])).toEqual([
      [teammate.nickname, 'mate: answer 1'],
      [owner.nickname, 'owner: answer 1'],
    ]);
    const ownersFirst: number = keep.responses[1].responseId;

    // The teammate comments on the owner's first answer; the owner reads it.
    const comment = await ok(teammate, 'POST', `/api/v1/responses/${ownersFirst}/comments`, { content: '좋은 회고였어요!' });
    expect(comment).toMatchObject({ responseId: ownersFirst, content: '좋은 회고였어요!' });
    const thread = await ok(owner, 'GET', `/api/v1/responses/${ownersFirst}/comments`);
    expect(thread).toEqual({
      comments: [
        {
          commentId: comment.commentId,
          memberId: teammate.memberId,
          userName: teammate.nickname,
          content: '좋은 회고였어요!',
          createdAt: comment.createdAt,
        },
      ],
      hasNext: false,
      nextCursor: null,
    });

    // A like, toggled twice.
    expect(await ok(teammate, 'POST', `/api/v1/responses/${ownersFirst}/likes`)).toEqual({
      responseId: ownersFirst,
      isLiked: true,
      totalLikes: 1,
    });
    expect(await ok(teammate, 'POST', `/api/v1/responses/${ownersFirst}/likes`)).toEqual({
      responseId: ownersFirst,
      isLiked: false,
      totalLikes: 0,
    });
    const totals = await ok(owner, 'GET', `/api/v1/retrospects/${retrospectId}`);
    expect(totals).toMatchObject({ totalLikeCount: 0, totalCommentCount: 1 });

    // Found by search, and in both members' storage.
    expect(await ok(teammate, 'GET', `/api/v1/retrospects/search?keyword=${encodeURIComponent(`  ${token.toUpperCase()} `)}`)).toEqual([
      {
        retrospectId,
        projectName: `${token} 스프린트`,
        retroRoomName: room.title,
        retrospectMethod: 'KPT',
        retrospectDate,
        retrospectTime: '19:30',
      },
    ]);
    for (const member of [owner, teammate]) {
      const storage = await ok(member, 'GET', '/api/v1/retrospects/storage?range=3_MONTHS');
      const items = storage.years.flatMap((year: { retrospects: unknown[] }) => year.retrospects);
      expect(items).toEqual([
        {
          retrospectId,
          displayDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
          title: `${token} 스프린트`,
          retrospectMethod: 'KPT',
          memberCount: 2,
        },
      ]);
      expect(storage.years[0].yearLabel).toBe(`${Number(items[0].displayDate.slice(0, 4))}년`);
    }

    // PDF export is a paid feature: on FREE the teammate is refused; once on PRO (an ACTIVE subscription, as
    // a confirmed payment leaves it) the export is a PDF in which the Korean project name and both members'
    // answers are real text.
    const refusedExport = await platform.fetch(`/api/v1/retrospects/${retrospectId}/export`, { headers: teammate.auth });
    expect(refusedExport.status).toBe(403);
    expect(await refusedExport.json()).toMatchObject({ isSuccess: false, code: 'PAY4031', result: null });
    await subscribeActive(teammate.memberId, 'PRO');
    const exported = await platform.fetch(`/api/v1/retrospects/${retrospectId}/export`, { headers: teammate.auth });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toBe('application/pdf; charset=utf-8');
    expect(exported.headers.get('content-disposition')).toMatch(
      new RegExp(`^attachment; filename="retrospect_report_${retrospectId}_\\d{8}_\\d{6}\\.pdf"$`),
    );
    const pdf = new Uint8Array(await exported.arrayBuffer());
    expect(new TextDecoder().decode(pdf.subarray(0, 5))).toBe('%PDF-');
    const text = await pdfText(pdf);
    expect(text).toContain(`${token} 스프린트`);
    expect(text).toContain('owner: answer 1');
    expect(text).toContain('mate: answer 5');

    // Only the owner may delete it; afterwards it is gone everywhere.
    const refused = await call(teammate, 'DELETE', `/api/v1/retrospects/${retrospectId}`);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ isSuccess: false, code: 'RETRO4031', result: null });
    expect(await ok(owner, 'DELETE', `/api/v1/retrospects/${retrospectId}`)).toBeNull();
    const gone = await call(teammate, 'GET', `/api/v1/retrospects/${retrospectId}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ code: 'RETRO4041' });
    expect((await call(teammate, 'GET', `/api/v1/responses/${ownersFirst}/comments`)).status).toBe(404);
    expect(await ok(teammate, 'GET', `/api/v1/retrospects/search?keyword=${token}`)).toEqual([]);
    expect(await ok(teammate, 'GET', '/api/v1/retrospects/storage')).toEqual({ years: [] });
    expect(await ok(owner, 'GET', `/api/v1/retro-rooms/${room.retroRoomId}/retrospects`)).toEqual([]);
  }, 90_000);
});
