import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A script's usage: the `//` comment block it opens with. */
export function usageOf(scriptUrl: string): string {
  const usage: string[] = [];
  for (const line of readFileSync(fileURLToPath(scriptUrl), 'utf8').split('\n')) {
    if (!line.startsWith('//')) break;
    usage.push(line.replace(/^\/\/ ?/, ''));
  }
  return usage.join('\n');
}

/**
 * `parseArgs` for a command: `--help` (or `-h`) prints the script's usage and exits 0; an unknown or malformed
 * option prints what is wrong and the usage and exits 2, instead of a stack trace.
 */
export function parseCliArgs<T extends ParseArgsConfig>(config: T, scriptUrl: string): ReturnType<typeof parseArgs<T>> {
  const args = config.args ?? process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usageOf(scriptUrl));
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usageOf(scriptUrl)}`);
    process.exit(2);
  }
}
