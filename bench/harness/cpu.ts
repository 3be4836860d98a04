import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

let ticksPerSecond: number | undefined

/** Clock ticks per second of /proc/<pid>/stat times (100 on Linux almost everywhere; asked once). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      ticksPerSecond = 100
    }
  }
  return ticksPerSecond
}

/**
 * CPU time (user + system, all threads) a process has used, in seconds, from
 * /proc/<pid>/stat; undefined when the process is gone. CPU per request is
 * the figure least disturbed by other processes on a shared machine: they
 * take wall time from the server, not CPU time per request.
 *
 * @example
 * const before = readCpuSeconds(pid)
 * // ... load ...
 * const msPerRequest = ((readCpuSeconds(pid)! - before!) * 1000) / requests
 */
export function readCpuSeconds(pid: number): number | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined
  return (utime + stime) / clockTicks()
}
