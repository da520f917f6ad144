import { type MemberSubscription, memberSubscriptions, type PlanName } from '@moalog/db/moalog-schema';
import { and, eq } from 'drizzle-orm';
import type { MoalogExecutor } from '../../lib/transactions.js';
import { planRank } from './catalogue.js';

/**
 * The member's current subscription among its rows: an ACTIVE one, the higher plan first (a plan switch
 * in flight may briefly leave two ACTIVE rows), then the newest.
 */
export function currentOf(rows: readonly MemberSubscription[]): MemberSubscription | undefined {
  return rows
    .filter((row) => row.status === 'ACTIVE')
    .sort((a, b) => planRank(b.planName) - planRank(a.planName) || b.subscriptionId - a.subscriptionId)[0];
}

/** The member's plan: its current subscription's, else FREE. */
export async function currentPlan(db: MoalogExecutor, memberId: number): Promise<PlanName> {
  const rows = await db
    .select()
    .from(memberSubscriptions)
    .where(and(eq(memberSubscriptions.memberId, memberId), eq(memberSubscriptions.status, 'ACTIVE')));
  return currentOf(rows)?.planName ?? 'FREE';
}
