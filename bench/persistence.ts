import type { Output } from '../framework/console/output'
import type { TargetResult } from './load_bench'
import type { PersistenceSetting } from './targets'

/** One persistence target's figures, against the memory checkpointer with the default durability. */
export interface PersistenceRow extends PersistenceSetting {
  name: string
  requestsPerSecond: number
  /** req/s / echo_memory's req/s in the same run; absent when echo_memory did not run. */
  ofMemoryDefault?: number
  /** echo_memory's CPU per response / this target's: the same share measured by CPU, steadier on a shared machine. */
  cpuOfMemoryDefault?: number
  cpuMsPerResponse: number
  p99Ms: number
}

const CHECKPOINTER_ORDER: Array<PersistenceSetting['checkpointer']> = ['memory', 'sqlite', 'postgres']

/**
 * The targets of the run that declare a checkpointer and durability, in a
 * fixed order (memory, SQLite, PostgreSQL; default before exit), each with
 * its throughput as a share of the memory checkpointer's with the default
 * durability.
 *
 * @example
 * persistenceRows(report.targets) // [{ name: 'echo_memory', ofMemoryDefault: 1, ... }, { name: 'echo_sqlite', ofMemoryDefault: 0.71, ... }]
 */
export function persistenceRows(results: readonly TargetResult[]): PersistenceRow[] {
  const rows = results.filter((result) => result.persistence !== undefined)
  const reference = rows.find((result) => result.persistence?.checkpointer === 'memory' && result.persistence.durability === 'default')
  const referenceRate = reference?.summary.requestsPerSecond ?? 0
  const referenceCpu = reference?.summary.cpu.msPerResponse ?? 0
  const share = (value: number) => Math.round(value * 1000) / 1000
  const rank = (result: TargetResult) =>
    CHECKPOINTER_ORDER.indexOf(result.persistence?.checkpointer ?? 'memory') * 2 + (result.persistence?.durability === 'exit' ? 1 : 0)
  return [...rows]
    .sort((a, b) => rank(a) - rank(b))
    .map((result) => ({
      name: result.name,
      checkpointer: result.persistence?.checkpointer ?? 'memory',
      durability: result.persistence?.durability ?? 'default',
      requestsPerSecond: result.summary.requestsPerSecond,
      ofMemoryDefault: referenceRate > 0 ? share(result.summary.requestsPerSecond / referenceRate) : undefined,
      cpuOfMemoryDefault: referenceCpu > 0 && result.summary.cpu.msPerResponse > 0 ? share(referenceCpu / result.summary.cpu.msPerResponse) : undefined,
      cpuMsPerResponse: result.summary.cpu.msPerResponse,
      p99Ms: result.summary.latencyMs.p99,
    }))
}

/** Prints the persistence table; nothing when no persistence target ran. */
export function printPersistence(rows: readonly PersistenceRow[], output: Output): void {
  if (rows.length === 0) return
  output.line()
  output.line('Persistence: the echo route per checkpointer and durability (a server each), as a share of echo_memory by throughput and by CPU per request')
  const percent = (value: number | undefined) => (value === undefined ? '-' : `${(value * 100).toFixed(1)}%`)
  output.table(
    ['target', 'checkpointer', 'durability', 'req/s', 'of echo_memory', 'CPU ms/req', 'by CPU', 'p99 ms'],
    rows.map((row) => [
      row.name,
      row.checkpointer,
      row.durability,
      row.requestsPerSecond,
      percent(row.ofMemoryDefault),
      row.cpuMsPerResponse,
      percent(row.cpuOfMemoryDefault),
      row.p99Ms,
    ]),
  )
}
