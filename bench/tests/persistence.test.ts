import type { TargetResult } from '../load_bench'
import { persistenceRows } from '../persistence'
import { selectTargets } from '../targets'

function result(name: string, requestsPerSecond: number): TargetResult {
  const [target] = selectTargets([name])
  const run = {
    responses: 100,
    ok: 100,
    durationSeconds: 1,
    requestsPerSecond,
    latencyMs: { p50: 1, p95: 2, p99: 3, max: 4, mean: 1 },
    errors: { non2xx: 0, errors: 0, timeouts: 0, total: 0 },
    warmupErrors: 0,
    warmupResponses: 0,
    unanswered: 0,
    statusCodes: { '200': 100 },
    cpu: { msPerResponse: 1000 / requestsPerSecond, coreShare: 1 },
    rssMb: { before: 1, peak: 1, after: 1 },
  }
  return { name, server: target.server, path: target.path, description: target.description, persistence: target.persistence, summary: run, rounds: [run] }
}

describe('persistenceRows', () => {
  it('orders the persistence targets by checkpointer then durability, as shares of echo_memory', () => {
    const rows = persistenceRows([result('baseline', 500), result('echo_postgres', 100), result('echo_sqlite_exit', 300), result('echo_memory', 400), result('echo_sqlite', 200)])
    expect(rows.map((row) => [row.name, row.checkpointer, row.durability, row.ofMemoryDefault])).toEqual([
      ['echo_memory', 'memory', 'default', 1],
      ['echo_sqlite', 'sqlite', 'default', 0.5],
      ['echo_sqlite_exit', 'sqlite', 'exit', 0.75],
      ['echo_postgres', 'postgres', 'default', 0.25],
    ])
    expect(rows[1]).toMatchObject({ requestsPerSecond: 200, cpuMsPerResponse: 5, cpuOfMemoryDefault: 0.5, p99Ms: 3 })
  })

  it('gives no share when echo_memory did not run, and no rows without persistence targets', () => {
    expect(persistenceRows([result('echo_sqlite', 200)])[0]).toMatchObject({ ofMemoryDefault: undefined, cpuOfMemoryDefault: undefined })
    expect(persistenceRows([result('baseline', 500), result('echo', 400)])).toEqual([])
  })
})
