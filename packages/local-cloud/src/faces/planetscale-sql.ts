/**
 * Just enough SQL reading for the PlanetScale face: which statement a request holds, where its
 * string literals and comments are. MySQL itself parses everything else.
 */

const MAY_HOLD_LITERAL_OR_COMMENT = /['"`#/-]/;

/**
 * The SQL with comments, quoted strings and quoted identifiers blanked out by spaces, so positions
 * still line up with the original text. Executable comments (`/*! ... *\/`) keep their body, as
 * MySQL runs it.
 */
export function blankLiteralsAndComments(sql: string): string {
  // Most statements the workers send have no literal or comment at all: nothing to blank.
  if (!MAY_HOLD_LITERAL_OR_COMMENT.test(sql)) return sql;
  const out = sql.split('');
  const blank = (from: number, to: number) => {
    for (let i = from; i < to && i < out.length; i++) if (out[i] !== '\n') out[i] = ' ';
  };
  let i = 0;
  while (i < sql.length) {
    const char = sql[i];
    const next = sql[i + 1];
    if (char === "'" || char === '"' || char === '`') {
      const end = closingQuote(sql, i, char);
      blank(i, end);
      i = end;
    } else if (char === '#' || (char === '-' && next === '-' && /[\s]/.test(sql[i + 2] ?? ' '))) {
      const newline = sql.indexOf('\n', i);
      const end = newline === -1 ? sql.length : newline;
      blank(i, end);
      i = end;
    } else if (char === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      const end = close === -1 ? sql.length : close + 2;
      if (sql[i + 2] === '!') {
        // Keep the body of an executable comment; drop its markers and version number.
        let bodyStart = i + 3;
        while (bodyStart < end && /[0-9]/.test(sql[bodyStart] ?? '')) bodyStart++;
        blank(i, bodyStart);
        if (close !== -1) blank(close, end);
      } else {
        blank(i, end);
      }
      i = end;
    } else {
      i++;
    }
  }
  return out.join('');
}

function closingQuote(sql: string, start: number, quote: string): number {
  for (let i = start + 1; i < sql.length; i++) {
    const char = sql[i];
    if (char === '\\' && quote !== '`') {
      i++;
      continue;
    }
    if (char === quote) {
      if (sql[i + 1] === quote) {
        i++;
        continue;
      }
      return i + 1;
    }
  }
  return sql.length;
}

/** The first words of the statement, upper-cased, after comments and whitespace. */
export function leadingWords(sql: string, count = 3): string[] {
  const bare = blankLiteralsAndComments(sql).trim();
  return bare.split(/[\s(;]+/, count).map((word) => word.toUpperCase());
}

/**
 * Statements that change the MySQL connection's own state (variables, current database, locks,
 * temporary tables, prepared statements). A connection that ran one is kept for its session (what
 * Vitess calls a reserved connection) and never handed to another client.
 */
export function changesConnectionState(sql: string): boolean {
  const [first, second, third] = leadingWords(sql);
  switch (first) {
    case 'SET':
    case 'USE':
    case 'LOCK':
    case 'PREPARE':
      return true;
    case 'CREATE':
      return second === 'TEMPORARY' || (second === 'OR' && third === 'REPLACE' && /\bTEMPORARY\b/i.test(sql));
    default:
      return false;
  }
}

/** INSERT, UPDATE, DELETE and REPLACE: the statements PlanetScale's DML time-out applies to. */
export function isDml(sql: string): boolean {
  const [first] = leadingWords(sql, 1);
  return first === 'INSERT' || first === 'UPDATE' || first === 'DELETE' || first === 'REPLACE';
}

/** `ROLLBACK` or `ROLLBACK WORK`, but not `ROLLBACK TO SAVEPOINT`. */
export function isTransactionRollback(sql: string): boolean {
  const [first, second, third] = leadingWords(sql);
  if (first !== 'ROLLBACK') return false;
  const afterWork = second === 'WORK' ? third : second;
  return afterWork !== 'TO';
}

/**
 * PlanetScale-only statements MySQL does not know: Boost's switch and the replica/primary target
 * selection. PlanetScale accepts them; locally they do nothing.
 */
export function isPlanetScaleNoop(sql: string): boolean {
  const bare = blankLiteralsAndComments(sql).trim().replace(/;$/, '').trim();
  return /^SET\s+@@boost_cached_queries\s*=\s*\S+$/i.test(bare) || /^USE\s+@(primary|replica|rdonly)$/i.test(bare);
}

/**
 * MariaDB runs `INSERT/REPLACE/DELETE ... RETURNING`; MySQL 8 and PlanetScale reject it as a syntax
 * error. Returns the offset of the keyword so the face can refuse it the way PlanetScale would.
 */
export function returningClauseOffset(sql: string): number | undefined {
  const bare = blankLiteralsAndComments(sql);
  const [first] = leadingWords(sql, 1);
  if (first !== 'INSERT' && first !== 'REPLACE' && first !== 'DELETE') return undefined;
  const match = /\bRETURNING\b/i.exec(bare);
  return match ? match.index : undefined;
}
