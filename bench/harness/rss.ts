import { readFileSync } from 'node:fs'

/** Resident memory of a process as the kernel reports it, in bytes. */
export interface ProcessMemory {
  /** VmRSS: resident now. */
  rss: number
  /** VmHWM: the highest resident size the process has had. */
  peak: number
}

/**
 * Reads VmRSS and VmHWM from /proc/<pid>/status (Linux). Returns undefined
 * when the process is gone or /proc is not there, so a sampler never throws
 * in the middle of a run.
 *
 * @example
 * const memory = readProcessMemory(child.pid)
 * if (memory) console.log(memory.rss / 1024 / 1024, 'MB')
 */
export function readProcessMemory(pid: number): ProcessMemory | undefined {
  let status: string
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return undefined
  }
  const rss = kilobytes(status, 'VmRSS')
  const peak = kilobytes(status, 'VmHWM')
  if (rss === undefined) return undefined
  return { rss, peak: peak ?? rss }
}

/** `VmRSS:	  123456 kB` -> bytes. */
function kilobytes(status: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)
  return match ? Number(match[1]) * 1024 : undefined
}

/** Bytes -> megabytes (MiB) rounded to 0.1, the unit every report uses. */
export function toMb(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10
}
