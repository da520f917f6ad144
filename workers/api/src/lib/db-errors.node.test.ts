import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './db-errors.js';

class DatabaseError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: { code: string; message: string },
  ) {
    super(message);
    this.name = 'DatabaseError';
  }
}

const failedQuery = (cause: unknown) => Object.assign(new Error('Failed query: select 1\nparams: '), { cause });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['UNAVAILABLE in a query result', failedQuery(new DatabaseError('lost MySQL', 400, { code: 'UNAVAILABLE', message: 'x' }))],
    ['unavailable when the session cannot connect', failedQuery(new DatabaseError('no MySQL', 503, { code: 'unavailable', message: 'x' }))],
    [
      "vttablet's Unavailable in an UNKNOWN statement error",
      failedQuery(
        new DatabaseError('target: db.-.primary: vttablet: rpc error: code = Unavailable desc = lost MySQL (errno 2013)', 400, {
          code: 'UNKNOWN',
          message: 'x',
        }),
      ),
    ],
    ['a 504 from PlanetScale', new DatabaseError('gateway', 504, { code: 'UNKNOWN', message: 'x' })],
    ['no HTTP answer at all', failedQuery(new TypeError('fetch failed'))],
    ['the connection lost', failedQuery(new Error('Network connection lost.'))],
  ])('%s: unavailable', (_label, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a duplicate key', failedQuery(new DatabaseError('dup', 400, { code: 'ALREADY_EXISTS', message: 'errno 1062' }))],
    ['a syntax error', failedQuery(new DatabaseError('syntax', 400, { code: 'INVALID_ARGUMENT', message: 'errno 1064' }))],
    ['a TypeError of our own code', new TypeError('cannot read properties of undefined')],
    ['anything else', new Error('boom')],
    ['not an error', 'text'],
  ])('%s: not unavailable', (_label, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
