// Reads a broker process's resident memory and CPU time from /proc (Linux), for RSS per connection and
// messages per broker CPU-second.

import { readFileSync } from 'node:fs';

/** USER_HZ: Linux reports utime/stime in ticks of 1/100 s on every mainstream architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

export function readResidentBytes(pid: number): number | undefined {
  return readStatusBytes(pid, 'VmRSS');
}

/** Resident bytes backed by mapped files (RssFile: the executable, libraries, LMDB's memory map), or undefined. */
export function readFileBackedResidentBytes(pid: number): number | undefined {
  return readStatusBytes(pid, 'RssFile');
}

/** A `<field>: <n> kB` line of /proc/<pid>/status, in bytes. */
function readStatusBytes(pid: number, field: string): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** User plus system CPU seconds used so far (all threads). */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; fields after its closing ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const userTicks = Number(fields[11]); // field 14 utime
    const systemTicks = Number(fields[12]); // field 15 stime
    if (!Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) return undefined;
    return (userTicks + systemTicks) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
