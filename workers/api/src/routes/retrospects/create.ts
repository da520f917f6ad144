import { createRoute, z } from '@hono/zod-openapi';
import { responses, retroReferences, retrospectMethods, retrospects } from '@moalog/db/moalog-schema';
import { AppError, ok } from '@moalog/shared';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { isMissingParentError } from '../../lib/db-errors.js';
import { isCalendarDate, isClockTime, kstToday, kstToInstant } from '../../lib/kst.js';
import { errorAnswer, jsonBody, successAnswer, unauthorizedAnswer } from '../../lib/retro-openapi.js';
import { defaultQuestions } from '../../lib/retrospect-questions.js';
import { charString, codedValidationHook } from '../../lib/validation.js';
import { findRoomAccess, ROOM_ACCESS_DENIED, ROOM_NOT_FOUND } from '../../services/retro-access.js';

const PROJECT_NAME_MESSAGE = '프로젝트 이름은 1자 이상 20자 이하여야 합니다.';
const METHOD_MESSAGE = '유효하지 않은 회고 방식입니다. (KPT, FOUR_L, FIVE_F, PMI, FREE)';
const DATE_FORMAT_MESSAGE = '날짜 형식이 올바르지 않습니다. (YYYY-MM-DD 형식 필요)';
const TIME_FORMAT_MESSAGE = '시간 형식이 올바르지 않습니다. (HH:mm 형식 필요)';
export const MAX_REFERENCE_URLS = 10;
export const MAX_REFERENCE_URL_LENGTH = 2048;

/** Why a reference URL list is refused, or undefined when it is fine (the original's rules and wording). */
function referenceUrlProblem(urls: string[]): string | undefined {
  if (urls.length > MAX_REFERENCE_URLS) return `참고 URL은 최대 ${MAX_REFERENCE_URLS}개까지 등록 가능합니다.`;
  if (new Set(urls).size !== urls.length) return '중복된 URL이 있습니다.';
  for (const url of urls) {
    if (url.length > MAX_REFERENCE_URL_LENGTH) return `URL은 최대 ${MAX_REFERENCE_URL_LENGTH}자까지 허용됩니다.`;
    const match = /^https?:\/\/(.+)$/s.exec(url);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    // http(s) with a dotted host name, as the original required.
    if (!match || !parsed?.hostname.includes('.') || /\s/.test(url)) return '유효하지 않은 URL 형식입니다.';
  }
  return undefined;
}

/**
 * The link's display name: the URL itself, as in the original, cut to the 255 characters the
 * `retro_reference.title` column holds (URLs may have up to 2048).
 */
function referenceTitle(url: string): string {
  return [...url].slice(0, 255).join('');
}

const createRetrospectBody = z
  .object({
    retroRoomId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).openapi({ example: 1 }),
    projectName: charString(1, 20, PROJECT_NAME_MESSAGE).openapi({ example: '스프린트 12 회고' }),
    retrospectDate: z
      .string()
      .refine(isCalendarDate, DATE_FORMAT_MESSAGE)
      .openapi({ description: 'KST date, today or later', example: '2026-03-01', format: 'date' }),
    retrospectTime: z.string().refine(isClockTime, TIME_FORMAT_MESSAGE).openapi({ description: 'KST time, HH:mm', example: '19:30' }),
    retrospectMethod: z.enum(retrospectMethods, { message: METHOD_MESSAGE }),
    referenceUrls: z
      .array(z.string())
      .optional()
      .default([])
      .superRefine((urls, ctx) => {
        const problem = referenceUrlProblem(urls);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .openapi({
        description: `Up to ${MAX_REFERENCE_URLS} distinct http(s) URLs of at most ${MAX_REFERENCE_URL_LENGTH} characters`,
        maxItems: MAX_REFERENCE_URLS,
        example: ['https://github.com/moalog/moalog'],
      }),
  })
  .openapi('CreateRetrospectRequest');

const createRetrospectResult = z
  .object({ retrospectId: z.number().int(), retroRoomId: z.number().int(), projectName: z.string() })
  .openapi('CreateRetrospectResponse');

const route = createRoute({
  method: 'post',
  path: '/api/v1/retrospects',
  tags: ['retrospects'],
  summary: 'Schedule a retrospect in a room the caller belongs to (API-011)',
  description:
    'Date and time are Korean wall-clock time (KST); the start must lie in the future. The retrospect gets the 5 questions of its method.',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { body: jsonBody(createRetrospectBody) },
  responses: {
    200: successAnswer('Created', createRetrospectResult),
    400: errorAnswer(
      'Project name not 1–20 characters (RETRO4001), bad method (RETRO4005), bad reference URLs (RETRO4006), bad or past date/time or a bad body (COMMON400)',
    ),
    401: unauthorizedAnswer,
    403: errorAnswer('Not a member of the room (RETRO4031)'),
    404: errorAnswer('No such room (COMMON404)'),
  },
});

export const retrospectsCreateRoutes = newRouter().openapi(
  route,
  async (c) => {
    const { db, memberId } = c.var;
    const body = c.req.valid('json');

    const now = new Date();
    if (body.retrospectDate < kstToday(now)) throw new AppError('COMMON400', '회고 날짜는 오늘 이후만 허용됩니다.');
    const startTime = kstToInstant(body.retrospectDate, body.retrospectTime);
    if (startTime.getTime() <= now.getTime()) throw new AppError('COMMON400', '회고 날짜와 시간은 현재보다 미래여야 합니다.');

    const access = await findRoomAccess(db, body.retroRoomId, memberId);
    if (!access) throw new AppError('COMMON404', ROOM_NOT_FOUND);
    if (access.role === null) throw new AppError('RETRO4031', ROOM_ACCESS_DENIED);

    let retrospectId: number;
    try {
      retrospectId = await db.transaction(async (tx) => {
        const [created] = await tx
          .insert(retrospects)
          .values({
            title: body.projectName,
            retrospectMethod: body.retrospectMethod,
            startTime,
            retroRoomId: body.retroRoomId,
            createdAt: now,
            updatedAt: now,
          })
          .$returningId();
        if (!created) throw new Error('retrospects insert returned no id');
        // The question template: one unowned, empty response per question, which is where the detail view
        // reads the questions from (as in the original). Participants get their own copies.
        await tx.insert(responses).values(
          defaultQuestions[body.retrospectMethod].map((question) => ({
            question,
            content: '',
            retrospectId: created.retrospectId,
            createdAt: now,
            updatedAt: now,
          })),
        );
        if (body.referenceUrls.length > 0) {
          await tx
            .insert(retroReferences)
            .values(body.referenceUrls.map((url) => ({ title: referenceTitle(url), url, retrospectId: created.retrospectId })));
        }
        return created.retrospectId;
      });
    } catch (err) {
      // The room was deleted between the membership check and the insert.
      if (isMissingParentError(err)) throw new AppError('COMMON404', ROOM_NOT_FOUND);
      throw err;
    }
    return ok(c, { retrospectId, retroRoomId: body.retroRoomId, projectName: body.projectName }, '회고가 성공적으로 생성되었습니다.');
  },
  codedValidationHook([
    { field: 'retrospectMethod', code: 'RETRO4005', message: METHOD_MESSAGE, includeTypeErrors: true },
    { field: 'projectName', code: 'RETRO4001', message: PROJECT_NAME_MESSAGE },
    { field: 'referenceUrls', code: 'RETRO4006' },
  ]),
);
