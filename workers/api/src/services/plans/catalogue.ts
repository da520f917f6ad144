import type { PlanName } from '@moalog/db/moalog-schema';

/** One plan as `GET /api/v1/plans` lists it; -1 means unlimited. The one catalogue every limit and price is read from. */
export interface Plan {
  name: PlanName;
  displayName: string;
  aiAnalysisLimit: number;
  aiAssistantLimit: number;
  pdfExportEnabled: boolean;
  maxRoomMembers: number;
  /** KRW per month. */
  monthlyPrice: number;
}

/** FREE, PRO and TEAM, lowest first: a plan's index is its rank. */
export const PLANS: readonly Plan[] = [
  {
    name: 'FREE',
    displayName: 'Free',
    aiAnalysisLimit: 3,
    aiAssistantLimit: 3,
    pdfExportEnabled: false,
    maxRoomMembers: 10,
    monthlyPrice: 0,
  },
  {
    name: 'PRO',
    displayName: 'Pro',
    aiAnalysisLimit: -1,
    aiAssistantLimit: -1,
    pdfExportEnabled: true,
    maxRoomMembers: 10,
    monthlyPrice: 9_900,
  },
  {
    name: 'TEAM',
    displayName: 'Team',
    aiAnalysisLimit: -1,
    aiAssistantLimit: -1,
    pdfExportEnabled: true,
    maxRoomMembers: -1,
    monthlyPrice: 29_900,
  },
];

export type PaidPlanName = Exclude<PlanName, 'FREE'>;

/** FREE 0, PRO 1, TEAM 2: which of two plans is the higher. */
export function planRank(name: PlanName): number {
  return PLANS.findIndex((plan) => plan.name === name);
}

/** A monthly AI allowance of the plan: a count, or null for unlimited. */
export function monthlyAiLimit(name: PlanName, feature: 'analysis' | 'assistant'): number | null {
  const plan = planOf(name);
  const limit = feature === 'analysis' ? plan.aiAnalysisLimit : plan.aiAssistantLimit;
  return limit < 0 ? null : limit;
}

/** How many members a room whose OWNER has this plan may hold, the owner included; null for unlimited. */
export function roomMemberLimit(name: PlanName): number | null {
  const limit = planOf(name).maxRoomMembers;
  return limit < 0 ? null : limit;
}

/** Whether the plan may export retrospects as PDF. */
export function canExportPdf(name: PlanName): boolean {
  return planOf(name).pdfExportEnabled;
}

export function planOf(name: PlanName): Plan {
  const plan = PLANS.find((candidate) => candidate.name === name);
  if (!plan) throw new Error(`no plan ${name}`);
  return plan;
}

/** FREE / PRO / TEAM in any letter case, surrounding blanks ignored; undefined for anything else. */
export function parsePlanName(text: string): PlanName | undefined {
  const upper = text.trim().toUpperCase();
  return PLANS.some((plan) => plan.name === upper) ? (upper as PlanName) : undefined;
}

/** What FluxPay's order line and Toss's checkout call the plan (the original's product names). */
export function productOf(name: PaidPlanName): { productId: string; productName: string } {
  return name === 'PRO'
    ? { productId: 'plan_pro', productName: 'Moalog Pro 플랜 (월간)' }
    : { productId: 'plan_team', productName: 'Moalog Team 플랜 (월간)' };
}

/** A subscription runs one calendar month from its start; the 31st of January ends on the last day of February. */
export function oneMonthAfter(start: Date): Date {
  const end = new Date(start.getTime());
  const day = end.getUTCDate();
  end.setUTCDate(1);
  end.setUTCMonth(end.getUTCMonth() + 1);
  const lastDay = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 0)).getUTCDate();
  end.setUTCDate(Math.min(day, lastDay));
  return end;
}
