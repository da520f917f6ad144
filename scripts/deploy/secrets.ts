import { ENVIRONMENTS, type EnvironmentName, WORKER_NAMES, WORKERS, type WorkerName } from '../../platform.js';
import { runWrangler } from './wrangler-cli.js';

export interface SecretReport {
  worker: WorkerName;
  /** Required secrets the deployed worker does not have. */
  missing: string[];
  /** Optional secrets that are not set (fine unless their feature is switched on). */
  optionalUnset: string[];
  /** Why the list could not be read (then every required secret counts as missing). */
  error?: string;
}

export function parseEnvironment(value: string | undefined): EnvironmentName {
  if (!value || !(ENVIRONMENTS as readonly string[]).includes(value)) {
    throw new Error(`--env must be one of ${ENVIRONMENTS.join(', ')}${value ? `, got "${value}"` : ''}`);
  }
  return value as EnvironmentName;
}

/** The secret names `wrangler secret list --format json` prints: `[{"name": …, "type": "secret_text"}, …]`. */
export function parseSecretList(stdout: string): string[] {
  const start = stdout.indexOf('[');
  const end = stdout.lastIndexOf(']');
  if (start === -1 || end < start) throw new Error('wrangler printed no JSON list');
  const list: unknown = JSON.parse(stdout.slice(start, end + 1));
  if (!Array.isArray(list)) throw new Error('wrangler printed no JSON list');
  return list.map((entry) => {
    if (!entry || typeof (entry as { name?: unknown }).name !== 'string') throw new Error(`unexpected entry ${JSON.stringify(entry)}`);
    return (entry as { name: string }).name;
  });
}

/** Asks Cloudflare (through `wrangler secret list`) which secrets each worker of the environment has. */
export async function checkSecrets(environment: EnvironmentName): Promise<SecretReport[]> {
  return Promise.all(
    WORKER_NAMES.map(async (worker): Promise<SecretReport> => {
      const { required, optional = [] } = WORKERS[worker].environments[environment].secrets;
      const config = WORKERS[worker].configs[0];
      const result = await runWrangler(['secret', 'list', '-c', config, '--env', environment, '--format', 'json'], { timeoutMs: 120_000 });
      let names: string[];
      try {
        if (result.status !== 0) throw new Error(`exit ${result.status}`);
        names = parseSecretList(result.stdout);
      } catch (error) {
        const detail = `${result.stderr}${result.stdout}`.trim().split('\n').slice(-5).join(' ');
        return { worker, missing: [...required], optionalUnset: [...optional], error: `${String((error as Error).message)}: ${detail}` };
      }
      const present = new Set(names);
      return {
        worker,
        missing: required.filter((name) => !present.has(name)),
        optionalUnset: optional.filter((name) => !present.has(name)),
      };
    }),
  );
}

export function formatReport(environment: EnvironmentName, reports: readonly SecretReport[]): string {
  const lines = reports.map((report) => {
    const script = `${report.worker} (${environment})`;
    const optional = report.optionalUnset.length > 0 ? `; optional, not set: ${report.optionalUnset.join(', ')}` : '';
    if (report.error) return `✗ ${script}: could not list its secrets (${report.error}); required: ${report.missing.join(', ')}`;
    if (report.missing.length > 0) return `✗ ${script}: missing ${report.missing.join(', ')}${optional}`;
    return `✓ ${script}: every required secret is set${optional}`;
  });
  const failed = reports.some((report) => report.missing.length > 0);
  lines.push(
    failed
      ? `Set the missing secrets with: npx wrangler secret put <NAME> -c <config> --env ${environment}`
      : `secrets of ${environment}: complete`,
  );
  return lines.join('\n');
}
