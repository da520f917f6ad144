import { readdirSync, readFileSync } from 'node:fs';

/** The pids whose parent is `ppid`, optionally only those whose command name (`comm`) is `name`. */
export function childPidsOf(ppid: number, name?: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid …; comm may hold spaces and parentheses, so split after the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const parent = Number(stat.slice(close + 2).split(' ')[1]);
    if (parent === ppid && (name === undefined || comm === name)) pids.push(Number(entry));
  }
  return pids.sort((a, b) => a - b);
}
