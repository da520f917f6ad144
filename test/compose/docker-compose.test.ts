import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FLUXPAY_POSTGRES_URL, DEFAULT_MOALOG_MYSQL_URL } from '@moalog/db/node';
import { configFromEnv } from '@moalog/local-cloud';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

/**
 * docker-compose.yml against the Compose specification's JSON Schema (vendored beside this file, see its
 * README), and its servers against the addresses and credentials local mode uses when nothing is set.
 */
const root = join(import.meta.dirname, '..', '..');
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const schema = JSON.parse(readFileSync(join(import.meta.dirname, 'compose-spec.json'), 'utf8')) as Record<string, unknown>;

// The schema names draft-07 by an address Ajv does not know under that spelling; Ajv's draft-07 is the same.
const validate = new Ajv({ strict: false, allErrors: true }).compile({ ...schema, $schema: 'http://json-schema.org/draft-07/schema#' });

function errorsOf(document: unknown): string[] {
  return validate(document) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`);
}

type Service = { image: string; ports?: string[]; environment?: Record<string, string>; healthcheck?: { test: string[] } };
const compose = parseYaml(composeText) as { services: Record<string, Service> };

describe('docker-compose.yml — Compose specification', () => {
  it('validates against the schema', () => {
    expect(errorsOf(compose)).toEqual([]);
  });

  it.each([
    ['a misspelt top-level key', (doc: any) => ({ ...doc, servics: doc.services })],
    [
      'a misspelt service key',
      (doc: any) => ({ ...doc, services: { ...doc.services, redis: { ...doc.services.redis, prots: ['6379'] } } }),
    ],
    [
      'ports given as one string',
      (doc: any) => ({ ...doc, services: { ...doc.services, redis: { ...doc.services.redis, ports: '6379:6379' } } }),
    ],
    [
      'a healthcheck without its test list',
      (doc: any) => ({ ...doc, services: { ...doc.services, mysql: { ...doc.services.mysql, healthcheck: { test: 7 } } } }),
    ],
  ])('rejects a broken file: %s', (_name, breakIt) => {
    const broken = breakIt(structuredClone(compose));
    expect(errorsOf(broken).length).toBeGreaterThan(0);
  });

  it('rejects a file that is not YAML for Compose at all', () => {
    expect(errorsOf(parseYaml('services: 7'))).not.toEqual([]);
  });
});

describe('docker-compose.yml — local mode’s defaults', () => {
  const local = configFromEnv({});
  const mysqlUrl = new URL(DEFAULT_MOALOG_MYSQL_URL);
  const postgresUrl = new URL(DEFAULT_FLUXPAY_POSTGRES_URL);
  const redisUrl = new URL(local.redisUrl);
  const { mysql, postgres, redis } = compose.services as Record<'mysql' | 'postgres' | 'redis', Service>;

  /** The host side of a `host:port:container` mapping, for the given container port. */
  const published = (service: Service, containerPort: number) =>
    (service.ports ?? []).map((mapping) => mapping.split(':')).find((parts) => Number(parts.at(-1)) === containerPort);

  it('publishes each server on this machine only, on the port local mode connects to', () => {
    expect(published(mysql, 3306)).toEqual(['127.0.0.1', mysqlUrl.port, '3306']);
    expect(published(mysql, 3306)?.[1]).toBe(String(local.mysql.port));
    expect(published(postgres, 5432)).toEqual(['127.0.0.1', postgresUrl.port, '5432']);
    expect(published(postgres, 5432)?.[1]).toBe(String(local.postgres.port));
    expect(published(redis, 6379)).toEqual(['127.0.0.1', redisUrl.port || '6379', '6379']);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const mapping of service.ports ?? []) expect(mapping, name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('lets MySQL’s root in with the empty password local mode uses, and creates the moalog database', () => {
    expect(mysqlUrl.username).toBe('root');
    expect(mysqlUrl.password).toBe('');
    expect(local.mysql).toMatchObject({ user: 'root', password: '' });
    expect(mysql.environment?.MYSQL_ALLOW_EMPTY_PASSWORD).toBe('yes');
    expect(mysql.environment).not.toHaveProperty('MYSQL_ROOT_PASSWORD');
    expect(mysql.environment?.MYSQL_ROOT_HOST).toBe('%'); // the port mapping makes connections come from outside the container
    expect(mysql.environment?.MYSQL_DATABASE).toBe(mysqlUrl.pathname.slice(1));
    expect(mysql.environment?.MYSQL_DATABASE).toBe(local.mysql.defaultDatabase);
  });

  it('trusts Postgres’s default user without a password, as local mode connects, and creates the fluxpay database', () => {
    expect(postgresUrl.username).toBe('postgres');
    expect(postgresUrl.password).toBe('');
    expect(postgres.environment?.POSTGRES_HOST_AUTH_METHOD).toBe('trust');
    expect(postgres.environment?.POSTGRES_USER ?? 'postgres').toBe(postgresUrl.username);
    expect(postgres.environment?.POSTGRES_DB).toBe(postgresUrl.pathname.slice(1));
  });

  it('runs Redis without a password, as local-cloud connects', () => {
    expect(redisUrl.password).toBe('');
    expect(redis.environment ?? {}).not.toHaveProperty('REDIS_PASSWORD');
  });

  it('runs the servers the project is tested against: MySQL 8.0, Postgres 16, Redis 7', () => {
    expect(mysql.image).toMatch(/^mysql:8\.0/);
    expect(postgres.image).toMatch(/^postgres:16/);
    expect(redis.image).toMatch(/^redis:7/);
  });
});
