/**
 * What a log line may say about an error: its class, its codes, the shape of the SQL statement it failed
 * on and where it was thrown — never its message. Database errors quote the statement with its values
 * (drizzle's `Failed query: … params: …`, the driver's `Duplicate entry '…'`, PlanetScale's `BindVars`),
 * and those values are members' e-mail addresses, invite codes and tokens.
 */
export interface ErrorSummary {
  errorClass: string;
  /** The error's own code (`code`, `errno`, `sqlState` or the driver's answer code), when it has one. */
  code?: string;
  errno?: number;
  sqlState?: string;
  /** The failed statement with every literal replaced by `?` (its placeholders already are). */
  statement?: string;
  /** The first stack frames (file and line, no message). */
  at?: string[];
  cause?: ErrorSummary;
}

const MAX_STATEMENT = 400;
const MAX_FRAMES = 4;
const MAX_CAUSES = 3;

/** The statement's shape: string and number literals masked, whitespace collapsed, cut to a bounded length. */
export function statementShape(sql: string): string {
  const masked = sql
    .replace(/'(?:[^'\\]|\\.|'')*'/g, '?')
    .replace(/"(?:[^"\\]|\\.)*"/g, '?')
    .replace(/\b\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim();
  return masked.length > MAX_STATEMENT ? `${masked.slice(0, MAX_STATEMENT)}…` : masked;
}

function classOf(err: object): string {
  const name = (err as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : String((err as { name?: unknown }).name ?? 'Object');
}

function ownCodes(err: object, message: string): Pick<ErrorSummary, 'code' | 'errno' | 'sqlState'> {
  const fields = err as { code?: unknown; errno?: unknown; sqlState?: unknown; body?: { code?: unknown } };
  const codes: Pick<ErrorSummary, 'code' | 'errno' | 'sqlState'> = {};
  const code = fields.code ?? fields.body?.code;
  // Codes are short identifiers; anything else may be text of the request.
  if ((typeof code === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(code)) || typeof code === 'number') codes.code = String(code);
  const errno = typeof fields.errno === 'number' ? fields.errno : Number(/\berrno (\d{1,5})\b/.exec(message)?.[1]);
  if (Number.isInteger(errno)) codes.errno = errno;
  const sqlState = typeof fields.sqlState === 'string' ? fields.sqlState : /\bsqlstate ([0-9A-Z]{5})\b/i.exec(message)?.[1];
  if (sqlState && /^[0-9A-Z]{5}$/i.test(sqlState)) codes.sqlState = sqlState;
  return codes;
}

function framesOf(stack: unknown): string[] | undefined {
  if (typeof stack !== 'string') return undefined;
  const frames = stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, MAX_FRAMES)
    .map((line) => line.trim());
  return frames.length > 0 ? frames : undefined;
}

export function summarizeError(err: unknown, depth = 0): ErrorSummary {
  if (err === null || typeof err !== 'object') return { errorClass: err === null ? 'null' : typeof err };
  const message = typeof (err as { message?: unknown }).message === 'string' ? (err as Error).message : '';
  const summary: ErrorSummary = { errorClass: classOf(err), ...ownCodes(err, message) };
  const query = (err as { query?: unknown }).query;
  if (typeof query === 'string') summary.statement = statementShape(query);
  const at = framesOf((err as { stack?: unknown }).stack);
  if (at) summary.at = at;
  const cause = (err as { cause?: unknown }).cause;
  if (cause !== undefined && depth < MAX_CAUSES) summary.cause = summarizeError(cause, depth + 1);
  return summary;
}
