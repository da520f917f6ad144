/**
 * Loads a k6 script for the harness: bundles it with its relative imports (TypeScript included, as k6 ≥ 1.0
 * runs it), makes its blocking calls awaitable ({@link asyncify}), and compiles it once into a function that
 * evaluates a fresh copy of the script's modules for each virtual user, with that VU's `k6`, `k6/http` and
 * `k6/metrics` and its `__VU`, `__ITER` and `__ENV`.
 */
import { resolve } from 'node:path';
import { compileFunction } from 'node:vm';
import { buildSync, transformSync } from 'esbuild';
import { asyncify } from './asyncify.js';
import { coreModule, metricsModule } from './k6-core.js';
import { httpModule } from './k6-http.js';
import type { VirtualUser } from './vu.js';

const K6_MODULES = ['k6', 'k6/http', 'k6/metrics'];

export interface CompiledScript {
  path: string;
  /** Evaluates the script's modules for `vu` and answers its exports. */
  instantiate(vu: VirtualUser, env: Record<string, string>): Record<string, unknown>;
}

export function compileScript(scriptPath: string): CompiledScript {
  const path = resolve(scriptPath);
  const bundled = buildSync({
    entryPoints: [path],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    external: K6_MODULES,
    define: { __VU: '__k6vu.id', __ITER: '__k6vu.iteration' },
    logLevel: 'silent',
  });
  const esm = bundled.outputFiles[0]?.text ?? '';
  for (const match of esm.matchAll(/^import .* from "([^"]+)";$/gm)) {
    if (!K6_MODULES.includes(match[1] ?? ''))
      throw new Error(`${scriptPath} imports "${match[1]}": the harness provides only ${K6_MODULES.join(', ')}`);
  }
  const awaited = asyncify(esm, path);
  const commonJs = transformSync(awaited, { format: 'cjs', loader: 'js', target: 'es2022', sourcefile: path }).code;
  const evaluate = compileFunction(commonJs, ['require', 'module', 'exports', '__ENV', '__k6vu', 'console', 'open'], { filename: path });

  return {
    path,
    instantiate(vu, env) {
      const modules: Record<string, unknown> = {
        k6: { __esModule: true, ...coreModule(vu) },
        'k6/http': (() => {
          const http = httpModule(vu);
          return { __esModule: true, default: http, ...http };
        })(),
        'k6/metrics': { __esModule: true, ...metricsModule(vu) },
      };
      const module = { exports: {} as Record<string, unknown> };
      const require = (name: string) => {
        if (!(name in modules)) throw new Error(`module "${name}" is not available in this harness`);
        return modules[name];
      };
      const consoleForScript = {
        log: (...args: unknown[]) => vu.run.log('log', ...args),
        info: (...args: unknown[]) => vu.run.log('info', ...args),
        warn: (...args: unknown[]) => vu.run.log('warn', ...args),
        error: (...args: unknown[]) => vu.run.log('error', ...args),
        debug: (...args: unknown[]) => vu.run.log('debug', ...args),
      };
      const open = () => {
        throw new Error('open() is not supported by this harness');
      };
      evaluate(require, module, module.exports, env, vu, consoleForScript, open);
      vu.exports = module.exports;
      return module.exports;
    },
  };
}
