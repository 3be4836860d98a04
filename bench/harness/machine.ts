import { cpus, loadavg, totalmem } from 'node:os'

/** Where a result was measured: the figures mean little without it. */
export interface MachineInfo {
  cpus: number
  cpuModel: string
  memoryMb: number
  node: string
  platform: string
  /** 1/5/15-minute load averages when the run started: other processes share these cores. */
  loadAverageAtStart: number[]
}

/**
 * Describes this machine for a result file.
 *
 * @example
 * const machine = describeMachine() // { cpus: 2, cpuModel: 'Intel(R) Xeon(R) Processor', ... }
 */
export function describeMachine(): MachineInfo {
  const cores = cpus()
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model ?? 'unknown',
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
  }
}
