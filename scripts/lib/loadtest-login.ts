/**
 * Logs the seeded load-test member in by e-mail and returns its access token (from the access_token cookie).
 * fetchPath sends one request to the platform under test, by path.
 */
export async function loadtestAccessToken(fetchPath: (path: string, init: RequestInit) => Promise<Response>): Promise<string> {
  const login = await fetchPath('/api/auth/login/email', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'loadtest@moalog.me' }),
    signal: AbortSignal.timeout(10_000),
  });
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('access_token='));
  if (login.status !== 200 || !cookie) throw new Error(`login failed: ${login.status}`);
  return cookie.slice('access_token='.length, cookie.indexOf(';'));
}
