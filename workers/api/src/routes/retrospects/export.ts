import { createRoute, z } from '@hono/zod-openapi';
import { AppError, errorEnvelopeSchema } from '@moalog/shared';
import { memberSecurity, newRouter } from '../../app.js';
import { requireMember } from '../../auth/require-member.js';
import { renderThroughExportWorker } from '../../export/export-client.js';
import { loadRetrospectReport } from '../../export/load-report.js';
import { kstDateTime } from '../../lib/kst.js';
import { idParam } from '../../lib/params.js';
import { canExportPdf } from '../../services/plans/catalogue.js';
import { currentPlan } from '../../services/plans/current-plan.js';
import { requireRetrospectMember } from '../../services/retro-access.js';

const PDF_NEEDS_PLAN = 'PDF 내보내기는 PRO 이상 플랜에서 사용할 수 있습니다.';

const route = createRoute({
  method: 'get',
  path: '/api/v1/retrospects/{retrospectId}/export',
  tags: ['retrospects'],
  summary: 'The retrospect as a PDF report (API-021)',
  description: 'Project, room, method, date, participants, the AI insight and every submitted answer, in a PDF with NanumGothic embedded.',
  security: memberSecurity,
  middleware: [requireMember] as const,
  request: { params: z.object({ retrospectId: idParam('retrospectId') }) },
  responses: {
    200: {
      description: 'The PDF (Content-Disposition: attachment)',
      content: { 'application/pdf': { schema: z.string().openapi({ type: 'string', format: 'binary' }) } },
    },
    400: { description: 'Bad id (COMMON400)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
    401: { description: 'Not logged in (AUTH4001)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
    403: {
      description: "Not a member of the room (RETRO4031), or the caller's plan has no PDF export (PAY4031: FREE)",
      content: { 'application/json': { schema: errorEnvelopeSchema } },
    },
    404: { description: 'No such retrospect (RETRO4041)', content: { 'application/json': { schema: errorEnvelopeSchema } } },
    503: {
      description:
        'Too many exports at once, or the export service cannot be reached (COMMON503); `Retry-After` says how many seconds to wait',
      headers: z.object({ 'Retry-After': z.string().openapi({ example: '2' }) }),
      content: { 'application/json': { schema: errorEnvelopeSchema } },
    },
  },
});

/** `YYYYmmdd_HHMMSS` in Korea's wall clock, as the original's file names. */
function fileStamp(now: Date): string {
  return kstDateTime(now).replace(/[-:]/g, '').replace('T', '_');
}

export const retrospectsExportRoutes = newRouter().openapi(route, async (c) => {
  const { db, memberId } = c.var;
  const { retrospectId } = c.req.valid('param');
  const { retrospect } = await requireRetrospectMember(db, retrospectId, memberId, { hideFromNonMembers: false });
  if (!canExportPdf(await currentPlan(db, memberId))) throw new AppError('PAY4031', PDF_NEEDS_PLAN);
  const now = new Date();
  const report = await loadRetrospectReport(db, retrospect, now);
  const pdf = await renderThroughExportWorker(c.env.EXPORT, report);
  return c.body(pdf, 200, {
    'content-type': 'application/pdf; charset=utf-8',
    'content-disposition': `attachment; filename="retrospect_report_${retrospectId}_${fileStamp(now)}.pdf"`,
    'cache-control': 'no-cache, no-store, must-revalidate',
  });
});
