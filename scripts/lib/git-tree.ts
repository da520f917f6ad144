// Another git ref's tree, extracted to a temporary directory so its workers can be built next to this tree's:
// `git archive` (no worktree bookkeeping to undo), with a node_modules of links into this tree's node_modules,
// except the workspace packages, which link to the extracted tree's own.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface ExtractedTree {
  root: string;
  /** The commit the ref named. */
  commit: string;
  remove(): void;
}

export function extractRef(repoRoot: string, ref: string, parentDir: string): ExtractedTree {
  const commit = execFileSync('git', ['-C', repoRoot, 'rev-parse', '--verify', `${ref}^{commit}`], { encoding: 'utf8' }).trim();
  mkdirSync(parentDir, { recursive: true });
  const root = mkdtempSync(join(parentDir, `ref-${commit.slice(0, 10)}-`));
  const remove = () => rmSync(root, { recursive: true, force: true });
  try {
    const archive = execFileSync('git', ['-C', repoRoot, 'archive', '--format=tar', commit], { maxBuffer: 1 << 30 });
    execFileSync('tar', ['-x', '-C', root], { input: archive });
    linkNodeModules(repoRoot, root);
    return { root, commit, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

function linkNodeModules(repoRoot: string, tree: string): void {
  const source = join(repoRoot, 'node_modules');
  const target = join(tree, 'node_modules');
  mkdirSync(target);
  for (const entry of readdirSync(source)) {
    if (entry === '@moalog') continue;
    symlinkSync(join(source, entry), join(target, entry));
  }
  // The tree's own workspaces (packages/*, workers/*), by the names their package.json files give.
  mkdirSync(join(target, '@moalog'));
  for (const group of ['packages', 'workers']) {
    const dir = join(tree, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const manifest = join(dir, name, 'package.json');
      if (!existsSync(manifest)) continue;
      const packageName = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
      if (packageName?.startsWith('@moalog/')) symlinkSync(join(dir, name), join(target, packageName));
    }
  }
}
