import type { OpenAPIHono } from '@hono/zod-openapi';

/**
 * Test support for the OpenAPI documents: which operations a Hono app really serves, which its document
 * lists, the example request the document gives for each operation, and the response schema the route
 * definition declares for a status. Used by the workers' openapi tests; nothing here runs in production.
 */

/** Methods an OpenAPI path item can hold. */
export const OPENAPI_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** `METHOD /path/{param}` — one operation, as both lists name it. */
export function operationKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

/** A Hono path (`/rooms/:roomId`, `/files/:name{.+}`) in OpenAPI form (`/rooms/{roomId}`). */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, '{$1}');
}

/**
 * The operations `routes` serve — Hono's `inspectRoutes(app)` (from `hono/dev`) — without middleware
 * (`use()` entries, whatever their path) and without the paths in `excludedPaths` (the documentation's
 * own routes). Sorted, distinct.
 */
export function servedOperations(
  routes: ReadonlyArray<{ method: string; path: string; isMiddleware: boolean }>,
  excludedPaths: readonly string[],
): string[] {
  const excluded = new Set(excludedPaths);
  const keys = new Set<string>();
  for (const { method, path, isMiddleware } of routes) {
    if (isMiddleware || excluded.has(path)) continue;
    keys.add(operationKey(method, openApiPath(path)));
  }
  return [...keys].sort();
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Any OpenAPI document object (typed loosely: only its JSON shape is read). */
export interface OpenApiLike {
  paths?: object;
  components?: object;
}

function pathItems(document: OpenApiLike): Record<string, Record<string, unknown>> {
  return (document.paths ?? {}) as Record<string, Record<string, unknown>>;
}

/** The operations an OpenAPI document lists. Sorted, distinct. */
export function documentedOperations(document: OpenApiLike): string[] {
  const keys = new Set<string>();
  for (const [path, item] of Object.entries(pathItems(document))) {
    for (const method of OPENAPI_METHODS) if (item[method] !== undefined) keys.add(operationKey(method, path));
  }
  return [...keys].sort();
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Follows `$ref`s inside the document (`#/components/...`); other references are not supported. */
export function resolveRef(document: OpenApiLike, value: unknown, seen = 0): unknown {
  if (!isObject(value) || typeof value.$ref !== 'string') return value;
  if (seen > 32) throw new Error(`reference loop at ${value.$ref}`);
  const ref = value.$ref;
  if (!ref.startsWith('#/')) throw new Error(`unsupported reference ${ref}`);
  let target: unknown = document;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
    target = isObject(target) || Array.isArray(target) ? (target as Record<string, unknown>)[key] : undefined;
    if (target === undefined) throw new Error(`unresolved reference ${ref}`);
  }
  return resolveRef(document, target, seen + 1);
}

const NO_EXAMPLE = Symbol('no example');

/** A value the document gives for `schema`: its example, const, default or first enum value. */
function declaredExample(schema: JsonObject): unknown {
  if ('example' in schema) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ('const' in schema) return schema.const;
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  return NO_EXAMPLE;
}

/**
 * The example value of a schema: declared on the schema itself, or composed from its parts (an object from
 * its properties' examples, an array of one example item). Required parts without one are added to `missing`.
 */
export function schemaExample(document: OpenApiLike, schemaOrRef: unknown, where: string, missing: string[], depth = 0): unknown {
  const schema = resolveRef(document, schemaOrRef);
  if (!isObject(schema) || depth > 16) {
    missing.push(where);
    return undefined;
  }
  const declared = declaredExample(schema);
  if (declared !== NO_EXAMPLE) return declared;

  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const parts = schema[key];
    if (!Array.isArray(parts) || parts.length === 0) continue;
    if (key === 'allOf') {
      const merged: JsonObject = {};
      for (const part of parts) {
        const value = schemaExample(document, part, where, missing, depth + 1);
        if (isObject(value)) Object.assign(merged, value);
      }
      return merged;
    }
    const nonNull = parts.find((part) => !(isObject(part) && part.type === 'null')) ?? parts[0];
    return schemaExample(document, nonNull, where, missing, depth + 1);
  }

  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type === 'object' || isObject(schema.properties)) {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
    const value: Record<string, unknown> = {};
    for (const [name, propertySchema] of Object.entries(properties)) {
      const propertyMissing: string[] = [];
      const example = schemaExample(document, propertySchema, `${where}.${name}`, propertyMissing, depth + 1);
      if (propertyMissing.length === 0) value[name] = example;
      else if (required.has(name)) missing.push(...propertyMissing);
    }
    return value;
  }
  if (type === 'array') {
    const itemMissing: string[] = [];
    const item = schemaExample(document, schema.items, `${where}[]`, itemMissing, depth + 1);
    if (itemMissing.length === 0) return [item];
    if (typeof schema.minItems === 'number' && schema.minItems > 0) missing.push(...itemMissing);
    return [];
  }
  missing.push(where);
  return undefined;
}

interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}

function parameterExample(document: OpenApiLike, parameter: ParameterObject, missing: string[]): unknown {
  if ('example' in parameter) return parameter.example;
  const named = Object.values(parameter.examples ?? {})[0];
  if (named && 'value' in named) return named.value;
  return schemaExample(document, parameter.schema, `${parameter.in} parameter ${parameter.name}`, missing);
}

export interface ExampleRequest {
  /** `METHOD /path/{param}` */
  operation: string;
  method: string;
  /** The path with its parameters filled in, and the query string. */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** The operation requires one of its security schemes (no anonymous alternative). */
  secured: boolean;
  /** Parts of the request the document gives no example for. */
  missing: string[];
}

function stringValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The request the document's examples describe for one operation: path and required (or exemplified)
 * query and header parameters, and a JSON body when the operation takes one. `headerValue` may replace a
 * header example (e.g. a fresh idempotency key per request).
 */
export function exampleRequest(
  document: OpenApiLike,
  method: string,
  path: string,
  headerValue: (name: string, example: string) => string = (_name, example) => example,
): ExampleRequest {
  const item = pathItems(document)[path];
  const operation = item?.[method.toLowerCase()];
  if (!isObject(operation)) throw new Error(`no operation ${operationKey(method, path)} in the document`);
  const missing: string[] = [];
  const parameters = [
    ...(Array.isArray(item?.parameters) ? item.parameters : []),
    ...(Array.isArray(operation.parameters) ? operation.parameters : []),
  ].map((p) => resolveRef(document, p) as unknown as ParameterObject);

  let url = path;
  const query = new URLSearchParams();
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const parameter of parameters) {
    const parameterMissing: string[] = [];
    const example = parameterExample(document, parameter, parameterMissing);
    if (parameterMissing.length > 0) {
      if (parameter.required === true || parameter.in === 'path') missing.push(...parameterMissing);
      continue;
    }
    if (example === undefined) continue;
    const text = stringValue(example);
    if (parameter.in === 'path') url = url.replaceAll(`{${parameter.name}}`, encodeURIComponent(text));
    else if (parameter.in === 'query') query.append(parameter.name, text);
    else if (parameter.in === 'header') headers[parameter.name] = headerValue(parameter.name, text);
    else cookies.push(`${parameter.name}=${encodeURIComponent(text)}`);
  }
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
  if (query.size > 0) url = `${url}?${query}`;

  let body: string | undefined;
  const requestBody = resolveRef(document, operation.requestBody);
  if (isObject(requestBody) && isObject(requestBody.content)) {
    const jsonType = Object.keys(requestBody.content).find((type) => /^application\/([a-z.+-]+\+)?json/i.test(type));
    const media = jsonType === undefined ? undefined : requestBody.content[jsonType];
    if (jsonType === undefined || !isObject(media)) {
      if (requestBody.required === true)
        missing.push(`request body (${Object.keys(requestBody.content).join(', ')}: only JSON bodies are sent)`);
    } else {
      const bodyMissing: string[] = [];
      const namedExample = isObject(media.examples) ? Object.values(media.examples)[0] : undefined;
      const example =
        'example' in media
          ? media.example
          : isObject(namedExample) && 'value' in namedExample
            ? namedExample.value
            : schemaExample(document, media.schema, 'body', bodyMissing);
      if (bodyMissing.length > 0 && requestBody.required === true) missing.push(...bodyMissing);
      if (bodyMissing.length === 0 || requestBody.required === true) {
        body = JSON.stringify(example ?? {});
        headers['content-type'] = jsonType;
      }
    }
  }

  const security = Array.isArray(operation.security) ? operation.security : undefined;
  const secured = security !== undefined && security.length > 0 && !security.some((s) => isObject(s) && Object.keys(s).length === 0);
  return {
    operation: operationKey(method, path),
    method: method.toUpperCase(),
    url,
    headers,
    ...(body === undefined ? {} : { body }),
    secured,
    missing,
  };
}

interface ZodLike {
  safeParse(value: unknown): { success: boolean; error?: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> } };
}

export interface DocumentedResponse {
  /** Media types of the response content (empty: no body documented). */
  contentTypes: string[];
  /** The route definition's zod schema of the JSON body. */
  jsonSchema?: ZodLike;
}

type RouteDefinition = {
  method: string;
  path: string;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> } | undefined>;
};

/**
 * The response a route definition of `app` declares for `status` (or its `default`), with the zod
 * schema that built the document — so answers are checked against the very schema the document shows.
 * `undefined` when the status is not documented.
 */
export function documentedResponse(
  app: OpenAPIHono<any, any, any>,
  method: string,
  path: string,
  status: number,
): DocumentedResponse | undefined {
  const definition = app.openAPIRegistry.definitions.find(
    (d) => d.type === 'route' && d.route.method.toUpperCase() === method.toUpperCase() && d.route.path === path,
  ) as { route: RouteDefinition } | undefined;
  if (!definition) throw new Error(`no route definition for ${operationKey(method, path)}`);
  const responses = definition.route.responses ?? {};
  const response = responses[String(status)] ?? responses.default;
  if (!response) return undefined;
  const content = response.content ?? {};
  const contentTypes = Object.keys(content);
  const jsonType = contentTypes.find((type) => /^application\/([a-z.+-]+\+)?json/i.test(type));
  const schema = jsonType === undefined ? undefined : content[jsonType]?.schema;
  const isZod = typeof schema === 'object' && schema !== null && typeof (schema as ZodLike).safeParse === 'function';
  return { contentTypes, ...(isZod ? { jsonSchema: schema as ZodLike } : {}) };
}

/**
 * What is wrong with `res` as the answer of a documented operation: an undocumented status, a content
 * type the documentation does not list, or a JSON body its schema rejects. Empty when it conforms.
 */
export async function answerProblems(app: OpenAPIHono<any, any, any>, method: string, path: string, res: Response): Promise<string[]> {
  const documented = documentedResponse(app, method, path, res.status);
  const text = await res.text();
  if (!documented) return [`status ${res.status} is not documented (body: ${text.slice(0, 200)})`];
  if (documented.contentTypes.length === 0) return [];
  const contentType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const matches = documented.contentTypes.some((type) => type === '*/*' || type.toLowerCase() === contentType);
  if (!matches) return [`content type ${contentType || '(none)'} is not among the documented ${documented.contentTypes.join(', ')}`];
  if (!/json/.test(contentType)) return [];
  if (!documented.jsonSchema) return [`status ${res.status}: the JSON body has no zod schema in the route definition`];
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [`status ${res.status}: body is not JSON: ${text.slice(0, 200)}`];
  }
  const parsed = documented.jsonSchema.safeParse(body);
  if (parsed.success) return [];
  return (parsed.error?.issues ?? []).map(
    (i) => `status ${res.status}: ${i.path.map(String).join('.') || '(body)'}: ${i.message} — body ${text.slice(0, 300)}`,
  );
}
