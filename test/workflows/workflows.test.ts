import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

/**
 * The GitHub Actions workflows: actionlint (with shellcheck for `run:` scripts where it is installed; CI
 * installs both and sets MOALOG_REQUIRE_ACTIONLINT=1, so there they cannot be skipped), and the project's
 * own rules: actions pinned by commit, least privilege, secrets only in jobs bound to an environment.
 */
const root = join(import.meta.dirname, '..', '..');
const workflowsDir = join(root, '.github', 'workflows');
const workflowFiles = readdirSync(workflowsDir).filter((name) => name.endsWith('.yml'));

type Job = {
  uses?: string;
  environment?: unknown;
  permissions?: unknown;
  steps?: { uses?: string; run?: string }[];
  services?: Record<string, { image: string }>;
};
type Workflow = { on: unknown; permissions?: unknown; concurrency?: unknown; jobs: Record<string, Job> };
const text = (name: string) => readFileSync(join(workflowsDir, name), 'utf8');
const workflow = (name: string) => parseYaml(text(name)) as Workflow;
/** A GitHub Actions expression as written in a workflow: \${{ inner }}. */
const expression = (inner: string) => `\${{ ${inner} }}`;

/** actionlint from PATH or Go's bin directory (where `go install` puts it). */
const actionlint = (() => {
  const gopath = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).stdout?.trim();
  for (const candidate of ['actionlint', ...(gopath ? [join(gopath, 'bin', 'actionlint')] : [])]) {
    if (spawnSync(candidate, ['-version'], { encoding: 'utf8' }).status === 0) return candidate;
  }
  return undefined;
})();
const required = process.env.MOALOG_REQUIRE_ACTIONLINT === '1';
if (!actionlint && !required)
  console.warn('workflows.test.ts: actionlint is not installed; its checks are skipped (bash .ci/run installs it)');

describe('actionlint', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'moalog-actionlint-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('is installed where CI requires it', () => {
    if (required) expect(actionlint, 'actionlint must be installed (bash .ci/run installs v1.7.12)').toBeDefined();
  });

  it.skipIf(!actionlint && !required)('reports nothing on .github/workflows', () => {
    const run = spawnSync(actionlint!, ['-no-color'], { cwd: root, encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`).toBe('');
    expect(run.status).toBe(0);
  });

  it.skipIf(!actionlint && !required)('reports a broken workflow', () => {
    mkdirSync(join(scratch, '.github', 'workflows'), { recursive: true });
    const broken = join(scratch, '.github', 'workflows', 'broken.yml');
    writeFileSync(
      broken,
      [
        'on: push',
        'jobs:',
        '  build:',
        '    runs-on: ubuntu-24.04',
        '    steps:',
        `      - run: echo "${expression('github.evnt.ref')}"`,
        '        shell: bash',
        '    timout-minutes: 5',
        '',
      ].join('\n'),
    );
    const run = spawnSync(actionlint!, ['-no-color', broken], { cwd: scratch, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/evnt/);
    expect(run.stdout).toMatch(/timout-minutes/);
  });
});

describe('workflow rules', () => {
  it('pins every action by its full commit SHA, with the version beside it', () => {
    for (const name of workflowFiles) {
      for (const line of text(name).split('\n')) {
        const uses = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!uses) continue;
        const [, ref, rest] = uses as unknown as [string, string, string];
        if (ref.startsWith('./')) continue; // this repository's reusable workflows
        expect(ref, `${name}: ${line.trim()}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
        expect(rest, `${name}: ${line.trim()}`).toMatch(/#\s*v\d+(\.\d+)*/);
      }
    }
  });

  it('grants nothing by default and every job only what it needs', () => {
    for (const name of workflowFiles) {
      const { permissions, jobs } = workflow(name);
      expect([{}, { contents: 'read' }], `${name}: top-level permissions`).toContainEqual(permissions);
      for (const [id, job] of Object.entries(jobs)) {
        const granted = JSON.stringify(job.permissions ?? permissions);
        expect(granted, `${name} ${id}`).not.toMatch(/write-all|read-all/);
        const writes = Object.entries((job.permissions ?? {}) as Record<string, string>).filter(([, level]) => level === 'write');
        // Only the job that posts the k6 report writes, and only to pull requests.
        expect(writes, `${name} ${id}`).toEqual(name === 'pull-request.yml' && id === 'report' ? [['pull-requests', 'write']] : []);
      }
    }
  });

  it('reads secrets only in jobs bound to a GitHub environment, and never passes them on', () => {
    for (const name of workflowFiles) {
      const { jobs } = workflow(name);
      expect(text(name), name).not.toMatch(/secrets:\s*inherit/);
      for (const [id, job] of Object.entries(jobs)) {
        if (!JSON.stringify(job).includes('secrets.')) continue;
        expect(job.environment, `${name} ${id} reads secrets`).toBeDefined();
      }
    }
  });

  it('runs one pipeline per branch at a time and never two deploys of an environment at once', () => {
    expect(workflow('pull-request.yml').concurrency).toEqual({
      group: `pull-request-${expression('github.event.pull_request.number')}`,
      'cancel-in-progress': true,
    });
    // A running production deploy is never cancelled by the next push.
    expect(workflow('main.yml').concurrency).toEqual({ group: 'main', 'cancel-in-progress': false });
    expect((workflow('preview.yml').jobs.preview as { concurrency?: unknown }).concurrency).toEqual({
      group: 'preview-environment',
      'cancel-in-progress': false,
    });
    expect((workflow('main.yml').jobs.production as { concurrency?: unknown }).concurrency).toEqual({
      group: 'production-environment',
      'cancel-in-progress': false,
    });
  });

  it('gates production on the preview, and rolls production back whenever something fails after the deploy started', () => {
    const main = workflow('main.yml');
    expect(main.jobs.preview?.uses).toBe('./.github/workflows/preview.yml');
    expect((main.jobs.production as { needs?: unknown }).needs).toBe('preview');
    const steps = main.jobs.production?.steps ?? [];
    const runs = steps.map((step) => step.run ?? step.uses ?? '');
    const at = (pattern: RegExp) => runs.findIndex((run) => pattern.test(run));
    expect(at(/npm run deploy:migrate/)).toBeLessThan(at(/npm run deploy -- --env production/));
    expect(at(/npm run deploy -- --env production/)).toBeLessThan(at(/k6 run .*production-smoke/));
    expect(at(/k6 run .*production-smoke/)).toBeLessThan(at(/npm run deploy:rollback -- --env production/));
    const rollback = steps[at(/npm run deploy:rollback/)] as { if?: string };
    expect(rollback.if).toContain('failure()');
  });

  it('tests against the servers docker-compose.yml runs (MySQL 8.0, Postgres 16, Redis 7)', () => {
    const compose = parseYaml(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { image: string }> };
    const services = workflow('checks.yml').jobs.checks?.services ?? {};
    for (const name of ['mysql', 'postgres', 'redis']) expect(services[name]?.image, name).toBe(compose.services[name]?.image);
  });

  // Active once load-tests/scenarios exists (the load tests land separately); from then on a listed scenario must exist.
  it.skipIf(!existsSync(join(root, 'load-tests', 'scenarios')))('gates the preview on load-test scenarios that exist', () => {
    const env = (workflow('preview.yml').jobs.preview as { env?: Record<string, string> }).env ?? {};
    const scenarios = (env.K6_SCENARIOS ?? '').split(/\s+/).filter(Boolean);
    expect(scenarios.length).toBeGreaterThan(0);
    for (const scenario of scenarios) expect(existsSync(join(root, 'load-tests', 'scenarios', `${scenario}.ts`)), scenario).toBe(true);
  });
});

describe('k6 gate script', () => {
  const shellcheck = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' }).status === 0;

  it.skipIf(!shellcheck && !required)('passes shellcheck', () => {
    const run = spawnSync('shellcheck', [join(root, '.github', 'scripts', 'k6-gate.sh')], { encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`).toBe('');
  });

  it('fails, with a report, when a scenario does not exist (before running k6)', () => {
    const out = mkdtempSync(join(tmpdir(), 'moalog-k6-gate-'));
    try {
      const summary = join(out, 'summary.md');
      const run = spawnSync('bash', [join(root, '.github', 'scripts', 'k6-gate.sh'), 'http://127.0.0.1:9', 'no-such-scenario'], {
        cwd: out,
        encoding: 'utf8',
        env: { ...process.env, GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: join(out, 'output') },
      });
      expect(run.status).toBe(1);
      expect(readFileSync(summary, 'utf8')).toContain('| `no-such-scenario` | missing | — |');
      expect(readFileSync(join(out, 'output'), 'utf8')).toMatch(/passed=false/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
