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
