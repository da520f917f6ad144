import type { MoalogDb } from '@moalog/db/clients';
import { memberSubscriptions, type PlanName } from '@moalog/db/moalog-schema';
import { and, eq } from 'drizzle-orm';

/** Monthly AI allowances per plan (reference §2.2); null = unlimited. */
export const PLAN_AI_LIMITS: Record<PlanName, { analysis: number | null; assistant: number | null }> = {
  FREE: { analysis: 3, assistant: 3 },
  PRO: { analysis: null, assistant: null },
  TEAM: { analysis: null, assistant: null },
};

/**
 * The member's plan: an ACTIVE subscription's, else FREE. Should a member hold more than one ACTIVE
 * row (a plan switch in flight), the paid one counts.
 */
export async function currentPlan(db: MoalogDb, memberId: number): Promise<PlanName> {
  const rows = await db
    .select({ planName: memberSubscriptions.planName })
    .from(memberSubscriptions)
    .where(and(eq(memberSubscriptions.memberId, memberId), eq(memberSubscriptions.status, 'ACTIVE')));
  if (rows.some((r) => r.planName === 'TEAM')) return 'TEAM';
  if (rows.some((r) => r.planName === 'PRO')) return 'PRO';
  return 'FREE';
}

export { kstMonthStart } from '../../lib/kst.js';
