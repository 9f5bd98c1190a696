/**
 * Child processes a given-up backend call left behind. libQnnHtpQemu's deviceCreate forks
 * the process (a copy of node that deadlocks before it can exec) and waits for it forever;
 * when the CLI leaves after a TIMEOUT, that copy would outlive it as an orphan. The CLI
 * starts no children of its own that are still running at that point, so every direct
 * child is one of those and is ended. Linux / Android only (read from /proc).
 */
import fs from 'node:fs';

/** The pids whose parent is this process (empty where /proc is not readable). */
export function childPids(procRoot = '/proc', parent = process.pid): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(procRoot).filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const e of entries) {
    let stat: string;
    try {
      stat = fs.readFileSync(`${procRoot}/${e}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses; ppid follows the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === parent) pids.push(Number(e));
  }
  return pids;
}

/** SIGKILLs this process' direct children; returns how many. */
export function endAbandonedChildren(): number {
  if (process.platform !== 'linux' && process.platform !== 'android') return 0;
  let ended = 0;
  for (const pid of childPids()) {
    try {
      process.kill(pid, 'SIGKILL');
      ended++;
    } catch {
      /* already gone */
    }
  }
  return ended;
}
