// `npm run lint:deps`: the import rules of this repository, checked by dependency-cruiser.
//
// - no import cycle between files, and none between workspace packages (packages only depend on what their
//   package.json declares under `dependencies`, and those declarations must form no cycle);
// - workers depend on packages, never the other way; a workspace reaches another only by its package name;
// - every npm package and workspace package a file imports is declared in the nearest package.json
//   (runtime source in `dependencies`, tests and tools may use `devDependencies`);
// - runtime source never imports test files, test support or dev-only npm packages.
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

/** Files that only tests load: test files, test folders, and the test-support package. */
const TEST_CODE = '(\\.test\\.ts$|/test/|^packages/test-support/)';
/**
 * Source that ships inside a worker bundle. The db package's `node` and `cli` folders (migrations and the
 * seed command, run from Node) and the local tools (local-cloud, runtime, test-support) are not shipped.
 */
const RUNTIME_SOURCE = '^(workers/[^/]+/src/|packages/(shared|ratelimit|events|metrics)/src/|packages/db/src/(?!node/|cli/))';

/** Every workspace (`packages/*`, `workers/*`): its folder, name and declared workspace dependencies. */
const workspaces = ['packages', 'workers'].flatMap((parent) =>
  readdirSync(join(__dirname, parent))
    .filter((dir) => existsSync(join(__dirname, parent, dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(__dirname, parent, dir, 'package.json'), 'utf8'));
      return {
        folder: `${parent}/${dir}`,
        name: manifest.name,
        entryPoints: Object.values(manifest.exports ?? {}).filter((target) => typeof target === 'string'),
        dependencies: Object.keys(manifest.dependencies ?? {}),
        devDependencies: Object.keys(manifest.devDependencies ?? {}),
      };
    }),
);
const folderOf = new Map(workspaces.map((w) => [w.name, w.folder]));
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const oneOf = (folders) => (folders.length === 0 ? '^$' : `^(${folders.map(escapeRegExp).join('|')})/`);

function packageCycle() {
  const edges = new Map(workspaces.map((w) => [w.name, w.dependencies.filter((d) => folderOf.has(d))]));
  const state = new Map();
  const visit = (name, path) => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'open') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'open');
    for (const next of edges.get(name) ?? []) {
      const cycle = visit(next, [...path, name]);
      if (cycle) return cycle;
    }
    state.set(name, 'done');
    return undefined;
  };
  for (const w of workspaces) {
    const cycle = visit(w.name, []);
    if (cycle) return cycle;
  }
  return undefined;
}
const cycle = packageCycle();
if (cycle)
  throw new Error(`workspace packages depend on each other in a cycle: ${cycle.join(' -> ')} (see their package.json dependencies)`);

/** Per workspace: which other workspaces its runtime files, and its test files, may not import. */
const undeclaredWorkspaceRules = workspaces.flatMap((w) => {
  const others = workspaces.filter((o) => o.folder !== w.folder);
  const runtimeAllowed = new Set(w.dependencies);
  const testAllowed = new Set([...w.dependencies, ...w.devDependencies]);
  return [
    {
      name: `undeclared-dependency-of-${w.folder.replace('/', '-')}`,
      comment: `${w.folder}: imports another workspace package that its package.json does not list under dependencies`,
      severity: 'error',
      from: { path: `^${escapeRegExp(w.folder)}/`, pathNot: TEST_CODE },
      to: { path: oneOf(others.filter((o) => !runtimeAllowed.has(o.name)).map((o) => o.folder)) },
    },
    {
      name: `undeclared-dev-dependency-of-${w.folder.replace('/', '-')}`,
      comment: `${w.folder}: a test imports another workspace package that its package.json does not list`,
      severity: 'error',
      from: { path: `^${escapeRegExp(w.folder)}/.*${TEST_CODE}` },
      to: { path: oneOf(others.filter((o) => !testAllowed.has(o.name)).map((o) => o.folder)) },
    },
  ];
});

/** Per workspace: files outside it may import only the files its package.json `exports` names. */
const entryPointRules = workspaces.map((w) => {
  const entries = w.entryPoints.map((target) => escapeRegExp(target.replace(/^\.\//, `${w.folder}/`)).replace(/\\\*/g, '.+'));
  return {
    name: `only-entry-points-of-${w.folder.replace('/', '-')}`,
    comment: `${w.folder}: imported from outside by a file its package.json does not export; export it or use an entry point`,
    severity: 'error',
    from: { pathNot: `^${escapeRegExp(w.folder)}/` },
    to: { path: `^${escapeRegExp(w.folder)}/`, pathNot: entries.length === 0 ? '^$' : `^(${entries.join('|')})$` },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Files import each other in a cycle; move what both need into a module of its own.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'packages-not-to-workers',
      comment: 'Workers depend on packages, never the other way round.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^workers/' },
    },
    {
      name: 'workspace-by-package-name',
      comment: 'Reach another workspace through its package name (declared in package.json), not a relative path.',
      severity: 'error',
      from: { path: '^(packages|workers)/([^/]+)/' },
      to: { path: '^(packages|workers)/', pathNot: '^$1/$2/', dependencyTypes: ['local'] },
    },
    ...undeclaredWorkspaceRules,
    ...entryPointRules,
    {
      name: 'not-in-package-json',
      comment: 'An npm package that the nearest package.json does not declare.',
      severity: 'error',
      from: { pathNot: '^load-tests/(scenarios|lib|harness/fixtures)/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing.',
      severity: 'error',
      from: { pathNot: '^load-tests/(scenarios|lib|harness/fixtures)/' },
      to: { couldNotResolve: true, pathNot: '^cloudflare:' },
    },
    {
      name: 'runtime-not-to-test-code',
      comment: 'Shipped source imports a test file, a test folder or test support.',
      severity: 'error',
      from: { path: RUNTIME_SOURCE, pathNot: TEST_CODE },
      to: { path: TEST_CODE },
    },
    {
      name: 'runtime-not-to-dev-dependencies',
      comment: 'Shipped source imports an npm package that is only a devDependency.',
      severity: 'error',
      from: { path: RUNTIME_SOURCE, pathNot: TEST_CODE },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^\\.tmp/|worker-configuration\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
