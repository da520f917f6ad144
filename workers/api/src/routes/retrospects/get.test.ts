import { describe, expect, it } from 'vitest';
import { app, bearer, env, envelope, loginAs } from '../../../test/helpers.js';

describe('GET /api/v1/retrospects/{id} — happy', () => {
  it('returns a seeded retrospect to a member of its room', async () => {
    const token = await loginAs('loadtest@moalog.me');
    const res = await app.request('/api/v1/retrospects/1', { headers: bearer(token) }, env);
    expect(res.status).toBe(200);
    const body = await envelope(res);
    expect(body).toMatchObject({ isSuccess: true, code: 'COMMON200' });
    expect(body.result).toMatchObject({
      retroRoomId: 1,
      title: 'Sprint 1 Retro',
      retroCategory: 'KPT',
      members: [],
      totalLikeCount: 0,
      totalCommentCount: 0,
      questions: [],
    });
    expect(body.result.startTime).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('serves every seeded retrospect 1..5 to member 1', async () => {
    const token = await loginAs('loadtest@moalog.me');
    for (const id of [1, 2, 3, 4, 5]) {
      const res = await app.request(`/api/v1/retrospects/${id}`, { headers: bearer(token) }, env);
      expect(res.status, `retrospect ${id}`).toBe(200);
    }
  });
});

describe('GET /api/v1/retrospects/{id} — errors', () => {
  it('answers 404 RETRO4041 for a retrospect that does not exist', async () => {
    const token = await loginAs('loadtest@moalog.me');
    const res = await app.request('/api/v1/retrospects/999999', { headers: bearer(token) }, env);
    expect(res.status).toBe(404);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'RETRO4041', result: null });
  });

  it.each(['0', 'abc', '-1', '1.5', '99999999999999999999'])('answers 400 COMMON400 for the id %s', async (id) => {
    const token = await loginAs('loadtest@moalog.me');
    const res = await app.request(`/api/v1/retrospects/${id}`, { headers: bearer(token) }, env);
    expect(res.status).toBe(400);
    expect(await envelope(res)).toMatchObject({ isSuccess: false, code: 'COMMON400' });
  });

  it('answers 401 before anything else without a token', async () => {
    const res = await app.request('/api/v1/retrospects/abc', {}, env);
    expect(res.status).toBe(401);
  });
});

describe('GET /api/v1/retrospects/{id} — security', () => {
  it("answers 403 RETRO4031 and no data for another room's retrospect", async () => {
    const token = await loginAs('loadtest2@moalog.me'); // member 2 belongs to room 1 only
    const res = await app.request('/api/v1/retrospects/3', { headers: bearer(token) }, env);
    expect(res.status).toBe(403);
    const body = await envelope(res);
    expect(body).toMatchObject({ isSuccess: false, code: 'RETRO4031', result: null });
    expect(JSON.stringify(body)).not.toContain('Sprint 3');
  });
});
