import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DocsPlatform, startDocsPlatform } from './docs-platform.js';

/**
 * Both served OpenAPI documents as a generic JSON Schema tool reads them: every `pattern` is an
 * ECMA-262 pattern that needs no flags (JavaScript's `/…/i` or `/…/u` written into the string would
 * make it a different, usually never-matching pattern), and every schema compiles with Ajv, with each
 * schema's own example valid against it.
 */

let platform: DocsPlatform;
const specs: Record<string, Record<string, any>> = {};
const SPEC_PATHS = { api: '/api-docs/openapi.json', fluxpay: '/pay/api-docs/openapi.json' } as const;

beforeAll(async () => {
  platform = await startDocsPlatform();
  for (const [name, path] of Object.entries(SPEC_PATHS)) {
    const res = await platform.fetch(path);
    expect(res.status, path).toBe(200);
    specs[name] = (await res.json()) as Record<string, any>;
  }
}, 120_000);

afterAll(async () => {
  await platform?.close();
});

interface Found {
  path: string;
  value: any;
}

/** Every value under `key` anywhere in `node`, with its JSON path. */
function collect(node: unknown, key: string, path = '$', found: Found[] = []): Found[] {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) collect(item, key, `${path}[${i}]`, found);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === key) found.push({ path: `${path}.${k}`, value: v });
      collect(v, key, `${path}.${k}`, found);
    }
  }
  return found;
}

/** Schemas of request bodies, responses and parameters, besides the named components. */
function operationSchemas(spec: Record<string, any>): Found[] {
  const found: Found[] = [];
  for (const [path, item] of Object.entries<Record<string, any>>(spec.paths ?? {})) {
    for (const [method, operation] of Object.entries<Record<string, any>>(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      for (const parameter of operation.parameters ?? []) {
        if (parameter.schema) found.push({ path: `${where} parameter ${parameter.name}`, value: parameter.schema });
      }
      for (const [type, media] of Object.entries<any>(operation.requestBody?.content ?? {})) {
        if (media.schema) found.push({ path: `${where} request ${type}`, value: media.schema });
      }
      for (const [status, response] of Object.entries<any>(operation.responses ?? {})) {
        for (const [type, media] of Object.entries<any>(response.content ?? {})) {
          if (media.schema) found.push({ path: `${where} ${status} ${type}`, value: media.schema });
        }
      }
    }
  }
  return found;
}

/** Ajv with JSON Schema 2020-12 (OpenAPI 3.1's dialect), patterns compiled without the `u` flag. */
function schemaCompiler(spec: Record<string, any>) {
  const ajv = new Ajv2020({
    strict: true,
    allErrors: true,
    unicodeRegExp: false,
    // The OpenAPI keywords a schema may carry, and the document's components that $refs point into.
    keywords: ['example', 'discriminator', 'xml', 'externalDocs', 'components'],
    formats: { uuid: true, date: true, 'date-time': true, uri: true, email: true, binary: true, int32: true, int64: true },
  });
  return (schema: object) => ajv.compile({ components: spec.components, ...schema });
}

describe.each(Object.keys(SPEC_PATHS))('the served %s OpenAPI document', (name) => {
  it('has patterns, each an ECMA-262 pattern without JavaScript flags', () => {
    const patterns = collect(specs[name], 'pattern').filter((p) => typeof p.value === 'string');
    expect(patterns.length).toBeGreaterThan(0);
    for (const { path, value } of patterns) {
      expect(value, path).not.toMatch(/\/[dgimsuvy]+$/);
      expect(value.startsWith('/'), path).toBe(false);
      expect(() => new RegExp(value), path).not.toThrow();
    }
  });

  it('has schemas that all compile with Ajv, each example valid against its schema', () => {
    const spec = specs[name] as Record<string, any>;
    const compile = schemaCompiler(spec);
    const named = Object.entries<any>(spec.components?.schemas ?? {}).map(([schema, value]) => ({ path: `schema ${schema}`, value }));
    const schemas = [...named, ...operationSchemas(spec)];
    expect(schemas.length).toBeGreaterThan(10);
    for (const { path, value } of schemas) {
      const validate = compile(value);
      if (value.example !== undefined) expect(validate(value.example) ? [] : validate.errors, `${path} example`).toEqual([]);
    }
  });
});

describe('patterns as the workers validate them', () => {
  const nicknamePattern = () => new RegExp(specs.api?.components.schemas.SignupRequest.properties.nickname.pattern);
  const uuidPattern = () => {
    const patterns = collect(specs.fluxpay, 'pattern').map((p) => p.value as string);
    const uuid = patterns.find((p) => p.includes('{12}'));
    expect(uuid).toBeDefined();
    return new RegExp(uuid as string);
  };

  it.each([
    ['Hangul', '모아로그', true],
    ['Latin letters and digits', 'moalog2024', true],
    ['20 characters outside the Basic Multilingual Plane', '𠀀'.repeat(20), true],
    ['21 characters', 'a'.repeat(21), false],
    ['an emoji', 'moa😀', false],
    ['a lone surrogate', 'moa\uD840', false],
    ['a space', 'moa log', false],
    ['empty', '', false],
  ])('the documented nickname pattern, without flags, judges %s as signup does', (_label, nickname, valid) => {
    expect(nicknamePattern().test(nickname)).toBe(valid);
  });

  it('the documented UUID pattern accepts either letter case without a flag', () => {
    expect(uuidPattern().test('0B7C2F4E-8D1A-4C3B-9E5F-6A7B8C9D0E1F')).toBe(true);
    expect(uuidPattern().test('0b7c2f4e-8d1a-4c3b-9e5f-6a7b8c9d0e1f')).toBe(true);
    expect(uuidPattern().test('0b7c2f4e-8d1a-4c3b-9e5f-6a7b8c9d0e1g')).toBe(false);
  });
});
