import { describe, expect, it } from 'vitest';
import { statementShape, summarizeError } from './error-log.js';

/** drizzle's wrapper as it is thrown: the statement, its values in the message, the driver's error as cause. */
class DrizzleQueryError extends Error {
  constructor(
    readonly query: string,
    readonly params: unknown[],
    cause: unknown,
  ) {
    super(`Failed query: ${query}\nparams: ${params}`);
    this.cause = cause;
  }
}

describe('summarizeError: what a log line says about an error', () => {
  it('names the classes, codes and statement shape, and none of the values the messages quote', () => {
    const email = 'someone.private@example.com';
    const invite = 'INV-7f3a9c';
    const driverMessage = `target: moalog.-.primary: vttablet: rpc error: code = AlreadyExists desc = Duplicate entry '${email}' for key 'member_email' (errno 1062) (sqlstate 23000): Sql: "insert into member values (:v1, :v2)", BindVars: {v1: "${email}", v2: "${invite}"}`;
    // PlanetScale's driver error: the answer's code in `body`, the statement and its values in the message.
    const cause = Object.assign(new Error(driverMessage), { status: 400, body: { code: 'ALREADY_EXISTS', message: driverMessage } });
    const error = new DrizzleQueryError("insert into `member` (`email`, `invite`) values (?, ?) -- 'inline' 42", [email, invite], cause);

    const summary = summarizeError(error);
    const line = JSON.stringify(summary);
    expect(line).not.toContain(email);
    expect(line).not.toContain('someone.private');
    expect(line).not.toContain(invite);
    expect(summary).toMatchObject({
      errorClass: 'DrizzleQueryError',
      statement: 'insert into `member` (`email`, `invite`) values (?, ?) -- ? ?',
      cause: { errorClass: 'Error', code: 'ALREADY_EXISTS', errno: 1062, sqlState: '23000' },
    });
    expect(summary.at?.[0]).toMatch(/^at /);
  });

  it('keeps only code-like codes and survives values that are not errors', () => {
    expect(summarizeError(Object.assign(new Error('x'), { code: 'a@b.com is taken' }))).not.toHaveProperty('code');
    expect(summarizeError('text with a@b.com')).toEqual({ errorClass: 'string' });
    expect(summarizeError(null)).toEqual({ errorClass: 'null' });
    expect(statementShape("select * from t where a = 'x''y' and b = 12.5")).toBe('select * from t where a = ? and b = ?');
  });
});
