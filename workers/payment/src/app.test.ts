import { describe, expect, it } from 'vitest';
import { call, expectError, newKey, orderBody, uniqueUser } from '../test/helpers.js';

describe('database outages', () => {
  it('answers 503 SYS_002 without leaking driver text when Postgres cannot be reached', async () => {
    const bindings = { LOCAL_CLOUD_URL: 'http://127.0.0.1:1' };
    const read = await call('GET', `/api/v1/orders/${crypto.randomUUID()}`, { bindings });
    expectError(read, 503, 'SYS_002');
    expect(read.text).not.toMatch(/127\.0\.0\.1|stack|at /);
    const write = await call('POST', '/api/v1/orders', { key: newKey(), body: orderBody(uniqueUser()), bindings });
    expectError(write, 503, 'SYS_002');
  });
});
