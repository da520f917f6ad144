import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * A clone of this repository must explain itself: no file (tracked, or new and not ignored) may send its reader to a document
 * that only exists beside the repository (a design note, a reference folder, a sibling checkout), and
 * every relative link in the Markdown files must land on a file or folder inside the repository.
 */
const root = join(import.meta.dirname, '..', '..');
const thisFile = relative(root, import.meta.filename)
  .split(sep)
  .join('/');

const trackedFiles = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter(Boolean);
const binary = /\.(png|jpe?g|gif|ico|woff2?|ttf|otf|pdf|zip|gz)$/i;
const textFiles = trackedFiles.filter((file) => !binary.test(file) && file !== thisFile && existsSync(join(root, file)));

/** Ways a file can point at something outside the repository. */
const outsidePointers: { what: string; pattern: RegExp }[] = [
  { what: 'a design document kept outside the repository', pattern: /\bDESIGN(\.md\b|\s*§)/ },
  { what: 'a section of a reference document kept outside the repository', pattern: /\breference\s*§/i },
  { what: 'a sibling folder of the checkout', pattern: /\.\.\/shared\b/ },
  { what: "a path on one engineer's machine", pattern: /\/work\/(shared|briefs|main|wt)\b/ },
  { what: 'a report kept outside the repository', pattern: /\bseed report\b|load-test-report\.md/i },
];

function linesMatching(file: string, pattern: RegExp): string[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  return lines.flatMap((line, index) => (pattern.test(line) ? [`${file}:${index + 1}: ${line.trim().slice(0, 160)}`] : []));
}

describe('the repository stands alone', () => {
  it('reads a meaningful set of files', () => {
    expect(textFiles).toContain('README.md');
    expect(textFiles.length).toBeGreaterThan(100);
  });

  for (const { what, pattern } of outsidePointers) {
    it(`no tracked file points at ${what}`, () => {
      const hits = textFiles.flatMap((file) => linesMatching(file, pattern));
      expect(hits).toEqual([]);
    });
  }

  it('every relative link in a Markdown file lands inside the repository on something that exists', () => {
    const tracked = new Set(trackedFiles);
    const trackedDirs = new Set(
      trackedFiles.flatMap((file) =>
        file
          .split('/')
          .slice(0, -1)
          .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
      ),
    );
    const broken: string[] = [];
    for (const file of textFiles.filter((name) => name.endsWith('.md'))) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = match[1] ?? '';
        if (/^([a-z][a-z0-9+.-]*:|#)/i.test(target)) continue;
        const path = decodeURIComponent(target.split('#')[0] ?? '');
        const resolved = normalize(join(dirname(file), path))
          .split(sep)
          .join('/')
          .replace(/\/$/, '');
        const inside = !resolved.startsWith('..') && !path.startsWith('/');
        if (!inside || !(tracked.has(resolved) || trackedDirs.has(resolved))) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
