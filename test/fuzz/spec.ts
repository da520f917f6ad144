/**
 * The operations of a served OpenAPI document, as the fuzz needs them: where they live, their
 * parameters and body schema with every `$ref` resolved, whether they need a member's token, and
 * which content types their answers may have.
 */
export type ApiName = 'api' | 'pay';

export type Schema = Record<string, any>;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  api: ApiName;
  method: string;
  /** The path as the gateway serves it (FluxPay's with its `/pay` server prefix), with `{name}` templates. */
  path: string;
  parameters: Parameter[];
  /** The JSON body's schema, when the operation takes one. */
  body?: Schema;
  bodyRequired: boolean;
  /** Needs a member's access token (bearer header or cookie). */
  secured: boolean;
  /** Content types of its success answers, by status. */
  successTypes: Map<number, string[]>;
  /** Its JSON success answers are in the API's envelope (everything but the health checks). */
  successEnveloped: boolean;
}

/** Resolves local `$ref`s (`#/components/...`) all the way down; cycles end in an empty schema. */
function resolver(doc: Schema) {
  const lookup = (ref: string): unknown => {
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
    return ref
      .slice(2)
      .split('/')
      .reduce<any>((node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  };
  const resolve = (node: unknown, seen: ReadonlySet<string> = new Set()): any => {
    if (Array.isArray(node)) return node.map((item) => resolve(item, seen));
    if (node === null || typeof node !== 'object') return node;
    const record = node as Record<string, unknown>;
    if (typeof record.$ref === 'string') {
      if (seen.has(record.$ref)) return {};
      return resolve(lookup(record.$ref), new Set([...seen, record.$ref]));
    }
    return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, resolve(value, seen)]));
  };
  return resolve;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function operationsOf(doc: Schema, api: ApiName): Operation[] {
  const resolve = resolver(doc);
  const server = typeof doc.servers?.[0]?.url === 'string' ? (doc.servers[0].url as string).replace(/\/$/, '') : '';
  const operations: Operation[] = [];
  for (const [path, rawItem] of Object.entries<Schema>(doc.paths ?? {})) {
    const item = resolve(rawItem) as Schema;
    for (const method of METHODS) {
      const op = item[method] as Schema | undefined;
      if (!op) continue;
      const parameters: Parameter[] = [...(item.parameters ?? []), ...(op.parameters ?? [])]
        .filter((p: Schema) => typeof p?.name === 'string' && typeof p?.in === 'string')
        .map((p: Schema) => ({ name: p.name, in: p.in, required: p.required === true || p.in === 'path', schema: p.schema ?? {} }));
      const json = op.requestBody?.content?.['application/json'];
      const security: Schema[] = op.security ?? doc.security ?? [];
      const successTypes = new Map<number, string[]>();
      let successEnveloped = false;
      for (const [status, answer] of Object.entries<Schema>(op.responses ?? {})) {
        const code = Number(status);
        if (code < 200 || code >= 300) continue;
        successTypes.set(code, Object.keys(answer?.content ?? {}));
        const properties = answer?.content?.['application/json']?.schema?.properties ?? {};
        if ('isSuccess' in properties || 'success' in properties) successEnveloped = true;
      }
      operations.push({
        api,
        method: method.toUpperCase(),
        path: `${server}${path}`,
        parameters,
        body: json ? (json.schema ?? {}) : undefined,
        bodyRequired: op.requestBody?.required === true,
        secured: security.some((requirement) => Object.keys(requirement).some((name) => name === 'bearerAuth' || name === 'cookieAuth')),
        successTypes,
        successEnveloped,
      });
    }
  }
  return operations;
}
