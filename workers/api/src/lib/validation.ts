import { z } from '@hono/zod-openapi';
import { AppError, type ErrorCode } from '@moalog/shared';

interface ValidationIssue {
  path: ReadonlyArray<PropertyKey>;
  code: string;
  message: string;
}

/** Maps validation issues under a top-level field to the original's specific error code. */
export interface IssueRule {
  /** Top-level field of the validated target (body or query) the rule applies to. */
  field: string;
  code: ErrorCode;
  /** Message of the answer; default: the message of the matching issue. */
  message?: string;
  /**
   * Whether a wrong JSON type (a number where a string belongs, a missing field) counts too. The original
   * rejected those before its own validation, with a generic 400, so by default they stay COMMON400.
   */
  includeTypeErrors?: boolean;
}

const TYPE_ISSUE_CODES = new Set(['invalid_type', 'invalid_union']);

function matches(rule: IssueRule, issue: ValidationIssue): boolean {
  if (issue.path[0] !== rule.field) return false;
  return rule.includeTypeErrors === true || !TYPE_ISSUE_CODES.has(issue.code);
}

function describe(issue: ValidationIssue | undefined): string {
  if (!issue) return '잘못된 요청입니다.';
  const where = issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
  return `잘못된 요청입니다: ${where}${issue.message}`;
}

/**
 * A validation hook failing with the first matching rule's code (rules are in priority order, as the
 * original checked its fields), otherwise with COMMON400 naming the first issue. It throws the AppError, so
 * the app's error handler renders the envelope and the route's typed answers stay untouched.
 */
export function codedValidationHook(rules: IssueRule[]) {
  return (result: { success: boolean; error?: { issues: ReadonlyArray<ValidationIssue> } }): undefined => {
    if (result.success) return undefined;
    const issues = result.error?.issues ?? [];
    for (const rule of rules) {
      const issue = issues.find((candidate) => matches(rule, candidate));
      if (issue) throw new AppError(rule.code, rule.message ?? (issue.message || undefined));
    }
    throw new AppError('COMMON400', describe(issues[0]));
  };
}

/** Length in characters (code points), as MySQL's VARCHAR and the original's validator count them. */
export function charCount(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** A string of `min`..`max` characters (code points, not UTF-16 units). */
export function charString(min: number, max: number, message?: string) {
  return z
    .string()
    .refine((value) => {
      const n = charCount(value);
      return n >= min && n <= max;
    }, message ?? `${min}자 이상 ${max}자 이하여야 합니다.`)
    .openapi({ minLength: min, maxLength: max });
}

/** An optional positive integer query parameter (`cursor`), 1..2^53. */
export const positiveIntQuery = (name: string, description: string) =>
  z
    .string()
    .regex(/^[1-9]\d{0,14}$/, `${name}는 1 이상의 양수여야 합니다.`)
    .transform(Number)
    .optional()
    .openapi({ param: { name, in: 'query' }, type: 'integer', minimum: 1, description });

/** An optional page size query parameter in 1..100 with a default. */
export const pageSizeQuery = (defaultSize: number) =>
  z
    .string()
    .regex(/^\d{1,3}$/, 'size는 1~100 범위의 정수여야 합니다.')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, 'size는 1~100 범위의 정수여야 합니다.')
    .optional()
    .transform((n) => n ?? defaultSize)
    .openapi({ param: { name: 'size', in: 'query' }, type: 'integer', minimum: 1, maximum: 100, default: defaultSize });
