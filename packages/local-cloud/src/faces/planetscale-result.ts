import type { FieldPacket, ResultSetHeader } from 'mysql2/promise';

/**
 * Vitess `QueryResult` as PlanetScale's HTTP API sends it (protojson: zero values omitted, 64-bit
 * integers as strings). `@planetscale/database` reads `fields[].type`, `fields[].charset` (63 =
 * binary), `rows[].lengths` (-1 = NULL) and `rows[].values` (base64 of the concatenated values).
 */
export interface VitessField {
  name: string;
  type?: string;
  table?: string;
  orgTable?: string;
  database?: string;
  orgName?: string;
  columnLength?: number;
  charset?: number;
  decimals?: number;
  flags?: number;
}

export interface VitessRow {
  lengths: string[];
  values?: string;
}

export interface VitessQueryResult {
  fields?: VitessField[];
  rows?: VitessRow[];
  rowsAffected?: string;
  insertId?: string;
}

/** vtrpc.RPCError: `code` is the vtrpc.Code enum name. */
export interface RpcError {
  code: VtrpcCode;
  message: string;
}

export type VtrpcCode =
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'UNIMPLEMENTED'
  | 'UNAVAILABLE'
  | 'UNAUTHENTICATED';

const BINARY_CHARSET = 63;

// MySQL column flags (protocol ColumnDefinition41).
const UNSIGNED_FLAG = 32;
const BINARY_FLAG = 128;
const ENUM_FLAG = 256;
const SET_FLAG = 2048;
const NUM_FLAG = 32768;

/** MySQL protocol column type → Vitess type before flags are applied (Vitess `mysqlToType`). */
const VITESS_TYPE_BY_MYSQL_TYPE = new Map<number, string>([
  [0, 'DECIMAL'],
  [1, 'INT8'],
  [2, 'INT16'],
  [3, 'INT32'],
  [4, 'FLOAT32'],
  [5, 'FLOAT64'],
  [6, 'NULL_TYPE'],
  [7, 'TIMESTAMP'],
  [8, 'INT64'],
  [9, 'INT24'],
  [10, 'DATE'],
  [11, 'TIME'],
  [12, 'DATETIME'],
  [13, 'YEAR'],
  [14, 'DATE'],
  [15, 'VARCHAR'],
  [16, 'BIT'],
  [17, 'TIMESTAMP'],
  [18, 'DATETIME'],
  [19, 'TIME'],
  [245, 'JSON'],
  [246, 'DECIMAL'],
  [247, 'ENUM'],
  [248, 'SET'],
  [249, 'TEXT'],
  [250, 'TEXT'],
  [251, 'TEXT'],
  [252, 'TEXT'],
  [253, 'VARCHAR'],
  [254, 'CHAR'],
  [255, 'GEOMETRY'],
]);

const NUMERIC_VITESS_TYPES = new Set([
  'INT8',
  'UINT8',
  'INT16',
  'UINT16',
  'INT24',
  'UINT24',
  'INT32',
  'UINT32',
  'INT64',
  'UINT64',
  'FLOAT32',
  'FLOAT64',
  'DECIMAL',
  'YEAR',
]);

/**
 * The Vitess type name for a MySQL column type and its flags, as vttablet computes it: integers
 * become UINT* when UNSIGNED, TEXT/VARCHAR/CHAR become BLOB/VARBINARY/BINARY when the BINARY flag is
 * set (also for `_bin` collations: the client then still decodes them as text because their charset
 * is not 63), CHAR with the ENUM or SET flag becomes ENUM or SET. `undefined` means NULL_TYPE.
 */
export function vitessType(mysqlType: number, flags: number, charset: number): string | undefined {
  const base = VITESS_TYPE_BY_MYSQL_TYPE.get(mysqlType) ?? (charset === BINARY_CHARSET ? 'VARBINARY' : 'VARCHAR');
  const unsigned = (flags & UNSIGNED_FLAG) !== 0;
  const binary = (flags & BINARY_FLAG) !== 0;
  switch (base) {
    case 'NULL_TYPE':
      return undefined;
    case 'INT8':
    case 'INT16':
    case 'INT24':
    case 'INT32':
    case 'INT64':
      return unsigned ? `U${base}` : base;
    case 'TEXT':
      return binary ? 'BLOB' : 'TEXT';
    case 'VARCHAR':
      return binary ? 'VARBINARY' : 'VARCHAR';
    case 'CHAR':
      if (binary) return 'BINARY';
      if (flags & ENUM_FLAG) return 'ENUM';
      if (flags & SET_FLAG) return 'SET';
      return 'CHAR';
    default:
      return base;
  }
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/**
 * A mysql2 column definition as a Vitess field. MariaDB stores JSON as LONGTEXT but marks JSON
 * columns and JSON-valued expressions with the extended format `json` (MARIADB_CLIENT_EXTENDED_METADATA,
 * which mysql2 requests); those become type JSON with the binary charset, as MySQL 8 reports them,
 * so the client parses them into objects.
 */
export function toVitessField(field: FieldPacket): VitessField {
  const mysqlType = numberOr(field.columnType ?? field.type, 253);
  let flags = typeof field.flags === 'number' ? field.flags : 0;
  let charset = numberOr(field.characterSet, 0);
  let type = vitessType(mysqlType, flags, charset);
  if (field.extendedFormat === 'json') {
    type = 'JSON';
    charset = BINARY_CHARSET;
  }
  if (type === 'JSON') charset = BINARY_CHARSET;
  // MySQL marks numeric columns with NUM_FLAG; MariaDB does not send it. Vitess passes MySQL's flags on.
  if (type === undefined || NUMERIC_VITESS_TYPES.has(type)) flags |= NUM_FLAG;
  const vitess: VitessField = { name: field.name };
  if (type) vitess.type = type;
  if (field.table) vitess.table = field.table;
  if (field.orgTable) vitess.orgTable = field.orgTable;
  const database = field.schema ?? field.db;
  if (database) vitess.database = database;
  if (field.orgName) vitess.orgName = field.orgName;
  const columnLength = numberOr(field.columnLength ?? field.length, 0);
  if (columnLength) vitess.columnLength = columnLength;
  if (charset) vitess.charset = charset;
  if (field.decimals) vitess.decimals = field.decimals;
  if (flags) vitess.flags = flags;
  return vitess;
}

/** One row in Vitess' encoding: the lengths (`-1` for NULL) and base64 of the concatenated values. */
export function encodeRow(values: readonly (Buffer | null)[]): VitessRow {
  const lengths: string[] = [];
  const present: Buffer[] = [];
  for (const value of values) {
    if (value === null) {
      lengths.push('-1');
    } else {
      lengths.push(String(value.length));
      present.push(value);
    }
  }
  const joined = Buffer.concat(present);
  return joined.length > 0 ? { lengths, values: joined.toString('base64') } : { lengths };
}

export function rowsResult(fields: readonly FieldPacket[], rows: readonly (readonly unknown[])[]): VitessQueryResult {
  const result: VitessQueryResult = { fields: fields.map(toVitessField) };
  if (rows.length > 0) result.rows = rows.map((row) => encodeRow(row.map(asBufferOrNull)));
  return result;
}

export function okResult(header: ResultSetHeader): VitessQueryResult {
  const result: VitessQueryResult = {};
  const rowsAffected = String(header.affectedRows ?? 0);
  const insertId = String(header.insertId ?? 0);
  if (rowsAffected !== '0') result.rowsAffected = rowsAffected;
  if (insertId !== '0') result.insertId = insertId;
  return result;
}

function asBufferOrNull(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value;
  // The face reads every value with a buffer typeCast; anything else is a bug upstream, kept visible.
  return Buffer.from(String(value), 'utf8');
}

/** A MySQL server error as mysql2 reports it (errno, SQLSTATE and the server's message). */
export interface SqlErrorLike {
  errno: number;
  sqlState: string;
  sqlMessage: string;
  fatal?: boolean;
}

export function isSqlError(err: unknown): err is SqlErrorLike {
  if (typeof err !== 'object' || err === null) return false;
  const candidate = err as Partial<SqlErrorLike>;
  return typeof candidate.errno === 'number' && candidate.errno > 0 && typeof candidate.sqlMessage === 'string';
}

const CODE_BY_ERRNO = new Map<number, VtrpcCode>();
function assign(code: VtrpcCode, errnos: number[]): void {
  for (const errno of errnos) CODE_BY_ERRNO.set(errno, code);
}
// vttablet's mapping of MySQL errors to vtrpc codes.
assign('UNIMPLEMENTED', [1235]);
assign('RESOURCE_EXHAUSTED', [1021, 1037, 1038, 1040, 1041, 1114, 1129, 1135, 1151, 1153, 1203, 1206, 1226]);
assign('DEADLINE_EXCEEDED', [1205, 2013]);
assign('UNAVAILABLE', [1053, 2006]);
assign('NOT_FOUND', [1029, 1032, 1054, 1094, 1109, 1122, 1141, 1146, 1147, 1176]);
assign('PERMISSION_DENIED', [1044, 1045, 1095, 1211, 1227]);
assign(
  'FAILED_PRECONDITION',
  [
    1046, 1082, 1091, 1099, 1100, 1104, 1148, 1162, 1165, 1169, 1173, 1179, 1207, 1215, 1216, 1217, 1223, 1230, 1241, 1242, 1288, 1289,
    1291, 1451, 1452,
  ],
);
assign('ALREADY_EXISTS', [1050, 1062, 1086, 1125]);
assign('ABORTED', [1078, 1080, 1152, 1213]);
assign(
  'INVALID_ARGUMENT',
  [
    1047, 1048, 1049, 1051, 1052, 1055, 1056, 1057, 1058, 1059, 1060, 1061, 1063, 1064, 1065, 1066, 1067, 1068, 1069, 1070, 1071, 1072,
    1073, 1074, 1075, 1083, 1084, 1085, 1089, 1090, 1093, 1096, 1097, 1101, 1102, 1103, 1106, 1107, 1108, 1110, 1111, 1113, 1115, 1116,
    1117, 1118, 1120, 1121, 1128, 1136, 1138, 1139, 1140, 1144, 1149, 1166, 1167, 1170, 1171, 1172, 1193, 1204, 1210, 1221, 1222, 1225,
    1228, 1229, 1231, 1232, 1233, 1234, 1238, 1239, 1240, 1245, 1247, 1248, 1250, 1253, 1264, 1267, 1270, 1271, 1272, 1273, 1280, 1281,
    1283, 1292, 1293, 1294, 1298, 1300, 1366, 1406,
  ],
);

export function vtrpcCodeForErrno(errno: number): VtrpcCode {
  return CODE_BY_ERRNO.get(errno) ?? 'UNKNOWN';
}

/** gRPC's spelling of a code inside vttablet's messages, e.g. ALREADY_EXISTS → AlreadyExists. */
function grpcName(code: VtrpcCode): string {
  return code
    .toLowerCase()
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

export interface ErrorContext {
  database: string;
  /** The Basic-auth user, shown as the CallerID the way PlanetScale shows it. */
  caller: string;
  /** The statement, when the error came from running one. */
  sql?: string;
}

const MAX_SQL_IN_ERROR = 512;

function quotedSql(sql: string): string {
  const shown = sql.length > MAX_SQL_IN_ERROR ? `${sql.slice(0, MAX_SQL_IN_ERROR)} [TRUNCATED]` : sql;
  return JSON.stringify(shown);
}

/**
 * A vttablet-style error: `target: <db>.-.primary: vttablet: rpc error: code = AlreadyExists desc =
 * Duplicate entry '1' for key 'PRIMARY' (errno 1062) (sqlstate 23000) (CallerID: <user>): Sql: "...",
 * BindVars: {REDACTED}`. The MySQL text, errno and SQLSTATE are all there for code that inspects them.
 */
export function sqlErrorToRpcError(err: SqlErrorLike, context: ErrorContext): RpcError {
  return limitRpcError(vtrpcCodeForErrno(err.errno), err.sqlMessage, err, context);
}

/** A vttablet-style error with an errno and SQLSTATE of local-cloud's choosing (its limits: rows, time-outs). */
export function limitRpcError(
  code: VtrpcCode,
  description: string,
  numbers: { errno: number; sqlState: string },
  context: ErrorContext,
): RpcError {
  const statement = context.sql === undefined ? '' : `: Sql: ${quotedSql(context.sql)}, BindVars: {REDACTED}`;
  const message =
    `target: ${context.database}.-.primary: vttablet: rpc error: code = ${grpcName(code)} desc = ` +
    `${description} (errno ${numbers.errno}) (sqlstate ${numbers.sqlState}) (CallerID: ${context.caller})${statement}`;
  return { code, message };
}

/** An error raised by local-cloud itself (not by MySQL), in the same vttablet wording. */
export function faceRpcError(code: VtrpcCode, description: string, context: Pick<ErrorContext, 'database'>): RpcError {
  return {
    code,
    message: `target: ${context.database}.-.primary: vttablet: rpc error: code = ${grpcName(code)} desc = ${description}`,
  };
}

/** A parse-level error as vtgate reports it before any tablet is involved. */
export function syntaxRpcError(description: string): RpcError {
  return { code: 'INVALID_ARGUMENT', message: `${description} (errno 1064) (sqlstate 42000)` };
}
