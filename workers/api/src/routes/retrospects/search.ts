import { createRoute, z } from '@hono/zod-openapi';
import { memberRetroRooms, retroRooms, retrospectMethods, retrospects } from '@moalog/db/moalog-schema';
import { AppError, ok } from '@moalog/shared';
import { and, desc, eq, sql } from 'drizzle-orm';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { kstDate, kstTime } from '../../lib/kst.js';
import { errorAnswer, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { charCount, codedValidationHook } from '../../lib/validation.js';

const MAX_KEYWORD_LENGTH = 100;

/**
 * Escapes `!`, `%` and `_` so the keyword matches literally inside a LIKE pattern written with `ESCAPE '!'`
 * (not backslash, whose meaning depends on the server's NO_BACKSLASH_ESCAPES mode).
 */
export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}
const KEYWORD_MISSING = '검색어를 입력해주세요.';

const searchQuery = z.object({
  keyword: z
    .string()
    .optional()
    .openapi({
      param: { name: 'keyword', in: 'query' },
      description: `1–${MAX_KEYWORD_LENGTH} characters after trimming`,
      example: '스프린트',
    }),
});

const searchItem = z
  .object({
    retrospectId: z.number().int(),
    projectName: z.string(),
    retroRoomName: z.string(),
    retrospectMethod: z.enum(retrospectMethods),
    retrospectDate: z.string().openapi({ description: 'KST', example: '2026-02-15' }),
    retrospectTime: z.string().openapi({ description: 'KST', example: '19:30' }),
  })
  .openapi('SearchRetrospectItem');

const route = createRoute({
  method: 'get',
  path: '/api/v1/retrospects/search',
  tags: ['retrospects'],
  summary: "Retrospects whose name contains the keyword, in the caller's rooms only, latest start first (API-023)",
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { query: searchQuery },
  responses: {
    200: successAnswer('Matches', z.array(searchItem)),
    400: errorAnswer('Keyword missing, blank or over 100 characters (SEARCH4001)'),
    401: unauthorizedAnswer,
  },
});

export const retrospectsSearchRoutes = newRouter().openapi(
  route,
  async (c) => {
    const { db, memberId } = c.var;
    const keyword = (c.req.valid('query').keyword ?? '').trim();
    if (keyword === '') throw new AppError('SEARCH4001', KEYWORD_MISSING);
    if (charCount(keyword) > MAX_KEYWORD_LENGTH) throw new AppError('SEARCH4001');

    const rows = await db
      .select({
        retrospectId: retrospects.retrospectId,
        projectName: retrospects.title,
        retroRoomName: retroRooms.title,
        retrospectMethod: retrospects.retrospectMethod,
        startTime: retrospects.startTime,
      })
      .from(memberRetroRooms)
      .innerJoin(retroRooms, eq(retroRooms.retroRoomId, memberRetroRooms.retroRoomId))
      .innerJoin(retrospects, eq(retrospects.retroRoomId, memberRetroRooms.retroRoomId))
      .where(and(eq(memberRetroRooms.memberId, memberId), sql`${retrospects.title} LIKE ${`%${escapeLike(keyword)}%`} ESCAPE '!'`))
      .orderBy(desc(retrospects.startTime), desc(retrospects.retrospectId));

    return ok(
      c,
      rows.map(({ startTime, ...row }) => ({ ...row, retrospectDate: kstDate(startTime), retrospectTime: kstTime(startTime) })),
      '검색을 성공했습니다.',
    );
  },
  codedValidationHook([{ field: 'keyword', code: 'SEARCH4001', message: KEYWORD_MISSING, includeTypeErrors: true }]),
);
