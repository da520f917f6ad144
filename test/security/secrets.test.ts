/**
 * No secret in what is committed, and none in what the workers log.
 *
 * Committed files: every tracked text file is scanned for key-like strings (private keys, cloud and
 * payment provider keys, live FluxPay keys, signed JWTs) and every secret-named setting in a config
 * file for a value; the only values allowed are the documented local defaults, which say so in their
 * value (`local`, `dummy`, `test`).
 *
 * Logs: the platform runs with secrets of this run's own making (JWT secret, Toss and OpenAI keys,
 * FluxPay and Upstash credentials — wrong on purpose, so the failure paths that log run too), serves
 * logins, token refreshes, forged tokens, subscriptions and FluxPay calls, and everything the workers
 * print is scanned for those secrets, the members' tokens and e-mail addresses. One request makes the
 * database refuse a statement carrying an e-mail address (a trigger of this test's making), so the api's
 * unhandled-error line is printed and scanned too: it may name the error and the statement's shape,
 * never the statement's values.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiKey } from '@moalog/db/node';
import { type Platform, startPlatform } from '@moalog/test-support/platform';
import { repoRoot } from '@moalog/test-support/workers';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, call, forgeJwt, type Member, newMember, nowSeconds } from './support.js';

const KEY_LIKE: Array<[string, RegExp]> = [
  ['private key', /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----/],
  ['AWS access key', /\bAKIA[0-9A-Z]{16}\b/],
  ['GitHub token', /\bgh[pousr]_[A-Za-z0-9]{36}\b/],
  ['Slack token', /\bxox[abprs]-[A-Za-z0-9-]{10,}/],
  ['Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['OpenAI key', /\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}/],
  ['Toss live key', /\blive_(?:g?sk|ck)_[A-Za-z0-9]{16,}/],
  ['FluxPay live key', /\bfp_live_[A-Za-z0-9_-]{43}\b/],
  ['signed JWT', /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}/],
];

/** `NAME = "value"` / `"NAME": "value"` settings whose name says secret. */
const SECRET_SETTING = /["']?([A-Z0-9_]*(?:SECRET|TOKEN|PASSWORD|API_KEY|PRIVATE_KEY)[A-Z0-9_]*)["']?\s*[=:]\s*["']([^"']+)["']/g;
const CONFIG_FILE = /(?:\.toml|\.json|\.ya?ml|\.env(?:\..*)?|\.dev\.vars)$/;
const LOCAL_DEFAULT = /local|dummy|test|example|placeholder|changeme/i;

/** A JWT whose signature is readable text (e.g. "signed-by-nobody"): a sample, since real signatures are random bytes. */
function isVisiblyFakeJwt(token: string): boolean {
  const signature = Buffer.from(token.split('.')[2] ?? '', 'base64url');
  return signature.length > 0 && [...signature].every((byte) => byte >= 0x20 && byte < 0x7f);
}

function trackedTextFiles(): string[] {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' }).split('\0').filter(Boolean);
  return files.filter((file) => !file.endsWith('package-lock.json') && !/\.(?:png|jpe?g|gif|ttf|woff2?|ico|pdf|bin|svg)$/.test(file));
}

describe('committed files', () => {
  it('hold no key-like string and no secret-named setting with a value other than a documented local default', () => {
    const findings: string[] = [];
    let scanned = 0;
    for (const file of trackedTextFiles()) {
      let text: string;
      try {
        text = readFileSync(join(repoRoot, file), 'utf8');
      } catch {
        continue;
      }
      scanned++;
      for (const [kind, pattern] of KEY_LIKE) {
        for (const match of text.matchAll(new RegExp(pattern.source, 'g'))) {
          if (kind === 'signed JWT' && isVisiblyFakeJwt(match[0])) continue;
          findings.push(`${file}: ${kind} ${match[0].slice(0, 12)}…`);
        }
      }
      if (!CONFIG_FILE.test(file)) continue;
      for (const match of text.matchAll(SECRET_SETTING)) {
        const [, name, value] = match as unknown as [string, string, string];
        // Names of required secrets in lists (`required = ["JWT_SECRET", ...]`) are not values.
        if (/^[A-Z0-9_]+$/.test(value) || value.trim() === '' || LOCAL_DEFAULT.test(value)) continue;
        // Addresses (`KAKAO_TOKEN_URL`) and switches (`MYSQL_ALLOW_EMPTY_PASSWORD: yes`) are not secrets.
        if (name.endsWith('_URL') || /^(?:yes|no|true|false|on|off|0|1)$/i.test(value)) continue;
        findings.push(`${file}: ${name} has a value that is not a local default`);
      }
    }
    expect(scanned).toBeGreaterThan(200);
    expect(findings).toEqual([]);
  });

  it('would notice one (the patterns find what they are for)', () => {
    const samples = [
      // Assembled here so that this file holds no such line itself.
      `-----BEGIN ${'PRIVATE'} KEY-----`,
      `AKIA${'A'.repeat(16)}`,
      `sk-${'a'.repeat(40)}`,
      `live_sk_${'b'.repeat(20)}`,
      `fp_live_${'c'.repeat(43)}`,
      forgeJwt({ alg: 'HS256' }, { sub: '1', iat: 1, exp: 2, token_type: 'access' }, 'x'),
    ];
    for (const sample of samples)
      expect(
        KEY_LIKE.some(([, pattern]) => pattern.test(sample)),
        sample,
      ).toBe(true);
    const setting = 'TOSS_SECRET_KEY = "test_sk_local_dev_dummy"\nJWT_SECRET = "3f9a0c1e77"';
    const flagged = [...setting.matchAll(SECRET_SETTING)].filter(([, , value]) => !LOCAL_DEFAULT.test(value as string));
    expect(flagged.map(([, name]) => name)).toEqual(['JWT_SECRET']);
  });
});

describe('worker logs', () => {
  const unique = crypto.randomUUID().replace(/-/g, '');
  const secrets = {
    JWT_SECRET: `jwt-secret-${unique}`,
    TOSS_SECRET_KEY: `test_sk_${unique}`,
    OPENAI_API_KEY: `sk-${unique}${unique}`,
    FLUXPAY_API_KEY: `fp_test_${unique}${unique.slice(0, 11)}`,
    UPSTASH_REDIS_REST_TOKEN: `upstash-${unique}`,
    UPSTASH_KAFKA_REST_PASSWORD: `kafka-${unique}`,
    KAKAO_CLIENT_SECRET: `kakao-${unique}`,
    GOOGLE_CLIENT_SECRET: `google-${unique}`,
  };
  let platform: Platform;
  let member: Member;
  const captured: string[] = [];
  const CONSOLE_LEVELS = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const consoles = new Map<(typeof CONSOLE_LEVELS)[number], (...args: unknown[]) => void>();
  const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

  beforeAll(async () => {
    const capture = (original: typeof process.stdout.write) =>
      ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof process.stdout.write;
    process.stdout.write = capture(writes.out);
    process.stderr.write = capture(writes.err);
    // Miniflare hands the workers' output to console line by line.
    for (const level of CONSOLE_LEVELS) {
      const original = console[level].bind(console);
      consoles.set(level, original);
      console[level] = (...args: unknown[]) => {
        captured.push(args.map(String).join(' '));
        original(...args);
      };
    }
    platform = await startPlatform({ ...secrets, RATE_LIMITER_ENABLED: 'true', RATE_LIMIT_KEY_PREFIX: `secrets-${unique.slice(0, 8)}` });
    member = await newMember(platform, 'logs');
  }, 180_000);

  /**
   * A signup the database refuses: a trigger made for this test fails every insert of a member with the
   * e-mail domain below, so the insert, with the address among its values, fails as an unhandled error.
   */
  async function signupRefusedByTheDatabase() {
    const trigger = `refuse_signup_${unique.slice(0, 12)}`;
    const email = `refused${unique.slice(0, 12)}@refused-by-test.moalog.me`;
    const connection = await mysql.createConnection(process.env.TEST_MOALOG_MYSQL_URL ?? '');
    try {
      await connection.query(
        `CREATE TRIGGER ${trigger} BEFORE INSERT ON member FOR EACH ROW
         IF NEW.email LIKE '%@refused-by-test.moalog.me' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the secrets test'; END IF`,
      );
      const iat = nowSeconds();
      const token = forgeJwt(
        { alg: 'HS256', typ: 'JWT' },
        { sub: '', iat, exp: iat + 600, token_type: 'signup', email, provider: 'KAKAO' },
        secrets.JWT_SECRET,
      );
      const answer = await call(platform, 'POST', '/api/v1/auth/signup', {
        headers: bearer(token),
        body: { nickname: `r${unique.slice(0, 8)}` },
      });
      return { email, token, answer };
    } finally {
      await connection.query(`DROP TRIGGER IF EXISTS ${trigger}`);
      await connection.end();
    }
  }

  afterAll(async () => {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    for (const [level, original] of consoles) console[level] = original;
    await platform?.dispose();
  });

  it('never print a configured secret or a member token, also when calls fail', async () => {
    const fluxpayKey = (await createApiKey(process.env.TEST_FLUXPAY_DATABASE_URL ?? '', `logs-${unique.slice(0, 8)}`, 'test')).key;
    const forged = forgeJwt({ alg: 'HS256' }, { sub: String(member.memberId), iat: 1, exp: 2_000_000_000, token_type: 'access' }, 'wrong');
    await call(platform, 'GET', '/api/v1/members/me', { headers: bearer(member.access) });
    await call(platform, 'GET', '/api/v1/retro-rooms', { headers: bearer(forged) });
    await call(platform, 'POST', '/api/v1/auth/token/refresh', { headers: { cookie: `refresh_token=${member.refresh}` } });
    await call(platform, 'POST', '/api/v1/auth/token/refresh', { headers: { cookie: `refresh_token=${member.refresh}` } });
    await call(platform, 'POST', '/api/v1/auth/social-login', {
      body: { provider: 'KAKAO', code: 'bad-code', redirectUri: 'https://moalog.me/cb' },
    });
    await call(platform, 'POST', '/api/v1/subscriptions', {
      headers: { ...bearer(member.access), 'Idempotency-Key': crypto.randomUUID() },
      body: { planName: 'PRO' },
    });
    const order = await call(platform, 'POST', '/pay/api/v1/orders', {
      headers: { authorization: `Bearer ${fluxpayKey}`, 'x-idempotency-key': crypto.randomUUID() },
      body: { userId: 'logs', currency: 'KRW', lineItems: [{ productId: 'p', productName: 'logs', quantity: 1, unitPrice: 1200 }] },
    });
    const orderId = order.body?.data?.orderId as string | undefined;
    if (orderId) {
      await call(platform, 'POST', '/pay/api/v1/payments', {
        headers: { authorization: `Bearer ${fluxpayKey}`, 'x-idempotency-key': crypto.randomUUID() },
        body: { orderId, amount: 1200, currency: 'KRW' },
      });
      await call(platform, 'POST', '/pay/api/v1/payments/confirm', {
        headers: { authorization: `Bearer ${fluxpayKey}` },
        body: { orderId, paymentKey: `tgen_${unique}`, amount: 1200 },
      });
    }
    await call(platform, 'GET', '/pay/api/v1/orders?userId=logs', { headers: { authorization: `Bearer ${fluxpayKey}x` } });
    await call(platform, 'POST', '/pay/api/v1/webhooks/toss', { body: { data: { paymentKey: `tgen_${unique}` } } });
    const refused = await signupRefusedByTheDatabase();
    expect(refused.answer.status, JSON.stringify(refused.answer.body)).toBe(500);
    expect(refused.answer.body).toMatchObject({ isSuccess: false, code: 'COMMON500', result: null });
    // Give workerd a moment to flush what the requests printed (polled: the unhandled-error line is awaited).
    for (let waited = 0; waited < 10_000 && !captured.join('').includes('"unhandled error"'); waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const logs = captured.join('');
    // The workers' own structured lines were captured (the failing calls above log errors and warnings).
    expect(logs).toMatch(/"level":"(?:error|warn)"/);
    const unhandled = captured.find((line) => line.includes('"unhandled error"'));
    expect(unhandled, 'the refused signup prints one unhandled-error line').toBeDefined();
    expect(unhandled).toMatch(/"statement":"insert into `member`/);
    const leaked = [
      ...Object.entries(secrets),
      ['the member access token', member.access],
      ['the member refresh token', member.refresh],
      ['the member e-mail address', member.email],
      ['the FluxPay key', fluxpayKey],
      ['the refused e-mail address', refused.email],
      ['the refused e-mail address, as its local part', refused.email.split('@')[0] as string],
      ['the signup token', refused.token],
    ].filter(([, value]) => logs.includes(value as string));
    expect(leaked.map(([name]) => name)).toEqual([]);
  });
});
