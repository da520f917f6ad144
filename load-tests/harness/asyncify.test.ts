import { describe, expect, it } from 'vitest';
import { AsyncifyError, asyncify } from './asyncify.js';

const header = 'import http from "k6/http";\nimport { check, group, sleep } from "k6";\n';

describe('asyncify', () => {
  it('awaits blocking calls and makes every function that reaches one async', () => {
    const out = asyncify(
      `${header}const api = { rooms() { return http.get("u"); } };
function login() { return http.post("x", "{}").json().token; }
const read = () => check(api.rooms(), { ok: (r) => r.status === 200 });
function main() { group("g", () => { read(); sleep(1); }); const n = [1].map((x) => x * 2); return login(); }
export { main as default };`,
    );
    expect(out).toContain('async rooms() { return (await http.get("u")); }');
    expect(out).toContain('async function login() { return (await http.post("x", "{}")).json().token; }');
    expect(out).toContain('const read = async () => check((await api.rooms()), { ok: (r) => r.status === 200 });');
    expect(out).toContain('(await group("g", async () => { (await read()); (await sleep(1)); }));');
    expect(out).toContain('[1].map((x) => x * 2)');
    expect(out).toContain('return (await login());');
  });

  it('leaves scripts without blocking calls as they are', () => {
    const code = `${header}export default function () { check(1, { one: (v) => v === 1 }); }`;
    expect(asyncify(code)).toBe(code);
  });

  it('refuses blocking calls in the init context and blocking functions handed to callbacks', () => {
    expect(() => asyncify(`${header}http.get("u");`)).toThrow(AsyncifyError);
    expect(() => asyncify(`${header}export default function () { [1].forEach(() => sleep(1)); }`)).toThrow(/used as a value/);
    expect(() => asyncify(`${header}function* g() { yield http.get("u"); } export default function () { g().next(); }`)).toThrow(
      /generators/,
    );
  });
});
