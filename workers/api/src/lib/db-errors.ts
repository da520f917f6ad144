/**
 * Whether a database error (possibly wrapped by drizzle as the `cause` of a DrizzleQueryError) is a
 * unique-key violation. PlanetScale and MySQL report it as errno 1062 (`Duplicate entry … for key …`).
 */
export function isDuplicateKeyError(err: unknown): boolean {
  return hasErrno(err, 1062, /Duplicate entry/i);
}

/**
 * Whether the error is a foreign-key violation on insert (errno 1452): the parent row (room, retrospect,
 * response) was deleted by a concurrent request.
 */
export function isMissingParentError(err: unknown): boolean {
  return hasErrno(err, 1452, /foreign key constraint fails/i);
}

/** Whether InnoDB rolled the transaction back as a deadlock victim (errno 1213); it may simply be run again. */
export function isDeadlockError(err: unknown): boolean {
  return hasErrno(err, 1213, /Deadlock found/i);
}

function hasErrno(err: unknown, errno: number, wording: RegExp): boolean {
  const errnoText = new RegExp(`errno ${errno}\\b`);
  for (let current: unknown = err, depth = 0; current && depth < 5; depth++) {
    const message = ownWords(current);
    if (errnoText.test(message) || wording.test(message)) return true;
    if ((current as { errno?: unknown }).errno === errno) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The error's own description, without the SQL it quotes: drizzle's wrapper names the failed query and its
 * parameters, and PlanetScale quotes the statement with its values, either of which may hold user text.
 */
function ownWords(err: unknown): string {
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : '';
  if (message.startsWith('Failed query:')) return '';
  const sqlAt = message.indexOf(': Sql: ');
  return sqlAt === -1 ? message : message.slice(0, sqlAt);
}

/**
 * Whether the database could not be reached at all (as opposed to refusing a statement): PlanetScale's
 * driver reports `UNAVAILABLE` (MySQL gone or unreachable behind it) or an HTTP 502/503/504, or the HTTP
 * call itself failed (no answer from PlanetScale, e.g. workerd's "Network connection lost."). Callers answer 503 instead of 500: retrying later helps.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let current: unknown = err, depth = 0; current && depth < 5; depth++) {
    const { name, status, body } = current as { name?: unknown; status?: unknown; body?: { code?: unknown } };
    if (name === 'DatabaseError' || name === 'UnknownError') {
      const code = typeof body?.code === 'string' ? body.code.toUpperCase() : '';
      // Statement errors come as code UNKNOWN with vttablet's own code in the message ("code = Unavailable").
      const message = typeof (current as { message?: unknown }).message === 'string' ? (current as Error).message : '';
      return code === 'UNAVAILABLE' || /\bcode = Unavailable\b/.test(message) || status === 502 || status === 503 || status === 504;
    }
    const cause = (current as { cause?: unknown }).cause;
    // drizzle wraps the driver's error. The driver turns every answer it gets into a DatabaseError, so any
    // other cause means no usable answer came back (the fetch failed or the connection was lost).
    if (isFailedQuery(current) && cause instanceof Error && !isDriverError(cause)) return true;
    current = cause;
  }
  return false;
}

function isDriverError(err: Error): boolean {
  return err.name === 'DatabaseError' || err.name === 'UnknownError';
}

function isFailedQuery(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('Failed query:');
}
