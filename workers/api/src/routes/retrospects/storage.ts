import { createRoute, z } from '@hono/zod-openapi';
import { memberRetroRooms, memberRetros, retrospectMethods, retrospects } from '@moalog/db/moalog-schema';
import { ok } from '@moalog/shared';
import { and, eq, gte, inArray, type SQL } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { kstDate } from '../../lib/kst.js';
import { errorAnswer, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { participantCountOf } from '../../services/retro-counts.js';

/** Range filter → days back from now (submission time), as the original counted them. */
export const storageRanges = { ALL: undefined, '3_MONTHS': 90, '6_MONTHS': 180, '1_YEAR': 365 } as const;
const rangeNames = Object.keys(storageRanges) as [keyof typeof storageRanges, ...Array<keyof typeof storageRanges>];

const storageQuery = z.object({
  range: z
    .enum(rangeNames, { message: '유효하지 않은 기간 필터입니다. (ALL, 3_MONTHS, 6_MONTHS, 1_YEAR)' })
    .optional()
    .default('ALL')
    .openapi({ param: { name: 'range', in: 'query' }, example: 'ALL' }),
});

const storageItem = z
  .object({
    retrospectId: z.number().int(),
    displayDate: z.string().openapi({ description: 'KST date of submission', example: '2026-02-15' }),
    title: z.string(),
    retrospectMethod: z.enum(retrospectMethods),
    memberCount: z.number().int(),
  })
  .openapi('StorageRetrospectItem');

const storageResult = z
  .object({
    years: z.array(
      z.object({ yearLabel: z.string().openapi({ example: '2026년' }), retrospects: z.array(storageItem) }).openapi('StorageYearGroup'),
    ),
  })
  .openapi('StorageResponse');

const route = createRoute({
  method: 'get',
  path: '/api/v1/retrospects/storage',
  tags: ['retrospects'],
  summary: 'The retrospects the caller has submitted, grouped by year, newest first (API-019)',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { query: storageQuery },
  responses: {
    200: successAnswer('Storage', storageResult),
    400: errorAnswer('Bad range (COMMON400)'),
    401: unauthorizedAnswer,
  },
});

export const retrospectsStorageRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { range } = c.req.valid('query');
  const days = storageRanges[range];

  const conditions: SQL[] = [eq(memberRetros.memberId, memberId), inArray(memberRetros.status, ['SUBMITTED', 'ANALYZED'])];
  if (days !== undefined) conditions.push(gte(memberRetros.submittedAt, new Date(Date.now() - days * 24 * 3600_000)));
  const rows = await db
    .select({
      retrospectId: retrospects.retrospectId,
      submittedAt: memberRetros.submittedAt,
      createdAt: retrospects.createdAt,
      title: retrospects.title,
      retrospectMethod: retrospects.retrospectMethod,
      memberCount: participantCountOf(retrospects.retrospectId),
    })
    .from(memberRetros)
    .innerJoin(retrospects, eq(retrospects.retrospectId, memberRetros.retrospectId))
    // Only rooms the caller is still in.
    .innerJoin(memberRetroRooms, and(eq(memberRetroRooms.retroRoomId, retrospects.retroRoomId), eq(memberRetroRooms.memberId, memberId)))
    .where(and(...conditions));

  const items = rows
    .map(({ submittedAt, createdAt, ...row }) => ({ ...row, displayDate: kstDate(submittedAt ?? createdAt) }))
    .sort((a, b) => b.displayDate.localeCompare(a.displayDate) || b.retrospectId - a.retrospectId);
  const years: Array<{ yearLabel: string; retrospects: typeof items }> = [];
  for (const item of items) {
    const yearLabel = `${Number(item.displayDate.slice(0, 4))}년`;
    const group = years[years.length - 1];
    if (group?.yearLabel === yearLabel) group.retrospects.push(item);
    else years.push({ yearLabel, retrospects: [item] });
  }
  return ok(c, { years }, '보관함 조회를 성공했습니다.');
});
