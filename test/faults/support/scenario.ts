import type { FaultPlatform, Member } from './platform.js';
import type { AnswerLog } from './report.js';

/** A retrospect tomorrow (KST) in a new room of `owner`, with `owner` a participant still drafting: ready for AI guides. */
export async function draftingRetrospect(env: FaultPlatform, owner: Member, headers: Record<string, string> = {}): Promise<number> {
  const expectOk = async (what: string, answer: Promise<Awaited<ReturnType<FaultPlatform['call']>>>) => {
    const { status, text, body } = await answer;
    if (status !== 200 || !body) throw new Error(`${what} answered ${status}: ${text.slice(0, 200)}`);
    return body.result;
  };
  const room = await expectOk(
    'room',
    env.call(owner, 'POST', '/api/v1/retro-rooms', {
      body: { title: `faults ${crypto.randomUUID().slice(0, 8)}`, description: 'faults' },
      headers,
    }),
  );
  const retrospectDate = new Date(Date.now() + 9 * 3600_000 + 24 * 3600_000).toISOString().slice(0, 10);
  const { retrospectId } = await expectOk(
    'retrospect',
    env.call(owner, 'POST', '/api/v1/retrospects', {
      body: {
        retroRoomId: room.retroRoomId,
        projectName: 'faults sprint',
        retrospectDate,
        retrospectTime: '19:30',
        retrospectMethod: 'KPT',
        referenceUrls: [],
      },
      headers,
    }),
  );
  await expectOk('participate', env.call(owner, 'POST', `/api/v1/retrospects/${retrospectId}/participants`, { headers }));
  return retrospectId as number;
}

/** Moves `member` from FREE to an ACTIVE PRO subscription (no monthly AI quota), straight in the database. */
export async function makePro(env: FaultPlatform, member: Member): Promise<void> {
  await env.mysql.execute("UPDATE member_subscription SET plan_name = 'PRO' WHERE member_id = ? AND status = 'ACTIVE'", [member.memberId]);
}

/** Runs `work` for 0..count-1, `concurrency` at a time. */
export async function repeat(count: number, concurrency: number, work: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** Assistant guide requests, each with its own draft so that no answer comes from the guide cache. */
export async function askGuides(
  env: FaultPlatform,
  member: Member,
  retrospectId: number,
  count: number,
  log: AnswerLog,
  headers: Record<string, string> = {},
): Promise<Array<{ status: number; code: string | undefined }>> {
  const answers: Array<{ status: number; code: string | undefined }> = [];
  await repeat(count, 4, async (i) => {
    const answer = await env.call(member, 'POST', `/api/v1/retrospects/${retrospectId}/questions/1/assistant`, {
      body: { content: `draft ${crypto.randomUUID()} number ${i}` },
      headers,
      log,
    });
    answers.push({ status: answer.status, code: answer.body?.code });
  });
  return answers;
}

export async function assistantUses(env: FaultPlatform, member: Member): Promise<number> {
  const [rows] = (await env.mysql.query('SELECT count(*) AS n FROM assistant_usage WHERE member_id = ?', [member.memberId])) as unknown as [
    Array<{ n: number }>,
  ];
  return Number(rows[0]?.n ?? 0);
}
