import { loadavg } from 'node:os'
import type { Output } from '../framework/console/output'
import { BenchServers, type PreparedTarget } from './harness/bench_servers'
import type { BuiltProject } from './harness/build_project'
import { drive, type LoadRun } from './harness/drive'
import { describeMachine, type MachineInfo } from './harness/machine'
import { summarizeLatencies } from './harness/percentiles'
import type { ProcessGuard } from './harness/process_guard'
import { profileDirFor, writeResult } from './harness/write_result'
import type { BenchOptions } from './options'
import { printPersistence, persistenceRows, type PersistenceRow } from './persistence'
import { COMPARISONS, selectTargets, type PersistenceSetting } from './targets'
import { addTraces, printTraces, type TraceDelivery } from './trace_delivery'

export interface TargetResult {
  name: string
  server: string
  path: string
  description: string
  /** This target's own server settings on top of the shared environment (checkpointer, durability, DATABASE_URL). */
  env?: Record<string, string>
  persistence?: PersistenceSetting
  /** A traced target (`otlp`): what its OTLP receiver got over all rounds, against what the server answered. */
  traces?: TraceDelivery
  /** All rounds merged: throughput over the summed duration, percentiles over every response. */
  summary: Omit<LoadRun, 'rssSamples'>
  rounds: Array<Omit<LoadRun, 'rssSamples'>>
}

export interface ComparisonResult {
  name: string
  /** measured / reference throughput (2xx per second) in this run. */
  ratio: number
  target: number
  met: boolean
  /**
   * reference / measured server CPU per response: the throughput ratio to
   * expect when each server has a core to itself. Steadier than `ratio` on a
   * shared machine; reported alongside, the target applies to `ratio`.
   */
  cpuRatio: number
  /** Extra server CPU per response of the measured target, in ms. */
  extraCpuMsPerResponse: number
}

export interface LoadReport {
  kind: 'load'
  name: string
  startedAt: string
  finishedAt: string
  machine: MachineInfo & { loadAverageAtEnd: number[] }
  settings: {
    connections: number
    durationSeconds: number
    warmupSeconds: number
    rounds: number
    freshServersEachRound: boolean
    /** How the servers ran: the compiled output of `langvel build`, and how long the build took. */
    server: { compiled: true; source: string; buildSeconds: number }
    langvelEnv?: Record<string, string>
  }
  targets: TargetResult[]
  comparisons: ComparisonResult[]
  /** The echo route per checkpointer and durability, against echo_memory (memory, default durability). */
  persistence: PersistenceRow[]
  notes: string[]
  resultFile?: string
  profileDir?: string
}

export interface BenchContext {
  root: string
  /** The compiled project the servers run from. */
  build: BuiltProject
  guard: ProcessGuard
  output: Output
}

/**
 * `npm run bench` (load): drives every target with the same autocannon
 * settings — a warm-up, then a measured drive — round after round, then
 * prints req/s, latency percentiles, errors and RSS per target, the
 * throughput ratios against their targets, and writes the JSON result.
 * Targets are reported, never asserted: the exit code is 0 when the run completed.
 *
 * @example
 * const report = await runLoadBench(parseBenchArgs(['--duration', '5']), { root, guard, output })
 */
export async function runLoadBench(options: BenchOptions, context: BenchContext): Promise<LoadReport> {
  const { output } = context
  const startedAt = new Date()
  const machine = describeMachine()
  const log = (line: string) => output.info(line)
  const targets = selectTargets(options.targets)
  const profileDir = profileDirFor(context.root, options)
  const notes: string[] = []
  let servers: BenchServers | undefined
  let prepared: PreparedTarget[] = []
  let names: string[] | undefined
  const runs = new Map<string, Array<{ run: LoadRun; latencies: number[] }>>()
  const traces = new Map<string, TraceDelivery>()
  // Stopped before their figures are read: a traced server flushes its last spans as it stops.
  const stopServers = async () => {
    if (!servers) return
    await servers.stop()
    for (const [name, stats] of servers.traces) traces.set(name, addTraces(traces.get(name), stats, 1))
  }
  for (let round = 1; round <= options.rounds; round++) {
    if (!servers || !options.keepServers) {
      // Fresh processes each round: how fast a Node process runs the same code varies from one process
      // to the next (compiled code, heap layout), and stays so for its life. Rounds on the same two
      // processes repeat one draw of that; rounds on new processes average several.
      await stopServers()
      const profileSuffix = options.keepServers ? undefined : `-round${round}`
      servers = await BenchServers.start(targets, {
        root: context.root,
        build: context.build,
        guard: context.guard,
        env: options.env,
        postgresUrl: options.postgresUrl,
        log,
        profileDir,
        profileSuffix,
      })
      const ready = await servers.prepare(targets)
      for (const note of ready.notes) if (!notes.includes(note)) notes.push(note)
      prepared = ready.prepared
      const current = prepared.map((entry) => entry.target.name)
      if (names && current.join() !== names.join()) {
        throw new Error(`round ${round}: the targets ready (${current.join(', ') || 'none'}) are not those of round 1 (${names.join(', ')})`)
      }
      if (!names) {
        names = current
        for (const note of notes) output.warn(note)
        if (prepared.length === 0) throw new Error('no target left to drive')
      }
    }
    // Each round starts one target later, so no target is always first (coldest) or last (warmest, or hit by whatever else the machine started).
    const order = prepared.map((_, index) => prepared[(index + round - 1) % prepared.length])
    for (const entry of order) {
      const measured = await driveOnce(entry, options)
      const list = runs.get(entry.target.name) ?? []
      list.push(measured)
      runs.set(entry.target.name, list)
      const { run } = measured
      log(
        `round ${round}/${options.rounds} ${entry.target.name}: ${run.requestsPerSecond} req/s, p99 ${run.latencyMs.p99} ms, ` +
          `${run.errors.total} errors, RSS ${run.rssMb.after} MB, CPU ${run.cpu.msPerResponse} ms/req`,
      )
    }
  }

  await stopServers()
  const results = prepared.map((entry) => toTargetResult(entry, runs.get(entry.target.name) ?? [], servers?.settingsOf(entry.target), traces.get(entry.target.name)))
  for (const result of results) {
    const refused = result.summary.statusCodes['429'] ?? 0
    if (refused > 0) {
      notes.push(`${result.name}: ${refused} responses were 429: the route's rate limit is below the benchmark's load; give the route a limit the benchmark can raise (see docs/benchmarks.md)`)
    }
  }
  const report: LoadReport = {
    kind: 'load',
    name: options.name,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { ...machine, loadAverageAtEnd: loadavg().map((value) => Math.round(value * 100) / 100) },
    settings: {
      connections: options.connections,
      durationSeconds: options.duration,
      warmupSeconds: options.warmup,
      rounds: options.rounds,
      freshServersEachRound: !options.keepServers,
      server: { compiled: true, source: context.build.source, buildSeconds: context.build.seconds },
      langvelEnv: servers?.langvelSettings,
    },
    targets: results,
    comparisons: compare(results),
    persistence: persistenceRows(results),
    notes,
    profileDir,
  }
  report.resultFile = writeResult(context.root, options.name, report)
  printLoadReport(report, output)
  return report
}

async function driveOnce(entry: PreparedTarget, options: BenchOptions): Promise<{ run: LoadRun; latencies: number[] }> {
  const measured = await drive({
    url: entry.server.url,
    target: entry.target,
    headers: entry.headers,
    connections: options.connections,
    server: entry.server,
    warmup: { seconds: options.warmup },
    measure: { seconds: options.duration },
  })
  // A breath between drives: the previous drive's sockets close before the next target starts.
  await new Promise((resolve) => setTimeout(resolve, 500))
  return measured
}

function toTargetResult(
  entry: PreparedTarget,
  measured: Array<{ run: LoadRun; latencies: number[] }>,
  env: Record<string, string> | undefined,
  traces: TraceDelivery | undefined,
): TargetResult {
  const rounds = measured.map(({ run }) => withoutSamples(run))
  const sum = (pick: (run: LoadRun) => number) => measured.reduce((total, { run }) => total + pick(run), 0)
  const statusCodes: Record<string, number> = {}
  for (const { run } of measured) for (const [code, count] of Object.entries(run.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count
  const durationSeconds = Math.round(sum((run) => run.durationSeconds) * 100) / 100
  const ok = sum((run) => run.ok)
  const responses = sum((run) => run.responses)
  return {
    name: entry.target.name,
    server: entry.target.server,
    path: entry.target.path,
    description: entry.target.description,
    env,
    persistence: entry.target.persistence,
    traces: traces && {
      ...traces,
      // The check request of each server, then every response of the warm-ups and measured phases.
      answered: traces.answered + sum((run) => run.warmupResponses + run.responses),
      unanswered: sum((run) => run.unanswered),
    },
    summary: {
      responses,
      ok,
      durationSeconds,
      requestsPerSecond: durationSeconds > 0 ? Math.round((ok / durationSeconds) * 10) / 10 : 0,
      latencyMs: summarizeLatencies(measured.flatMap(({ latencies }) => latencies)),
      errors: {
        non2xx: sum((run) => run.errors.non2xx),
        errors: sum((run) => run.errors.errors),
        timeouts: sum((run) => run.errors.timeouts),
        total: sum((run) => run.errors.total),
      },
      warmupErrors: sum((run) => run.warmupErrors),
      warmupResponses: sum((run) => run.warmupResponses),
      unanswered: sum((run) => run.unanswered),
      statusCodes,
      cpu: {
        msPerResponse: responses > 0 ? Math.round((sum((run) => run.cpu.msPerResponse * run.responses) / responses) * 1000) / 1000 : 0,
        coreShare: durationSeconds > 0 ? Math.round((sum((run) => run.cpu.coreShare * run.durationSeconds) / durationSeconds) * 100) / 100 : 0,
      },
      rssMb: {
        before: measured[0]?.run.rssMb.before ?? 0,
        peak: Math.max(0, ...measured.map(({ run }) => run.rssMb.peak)),
        after: measured[measured.length - 1]?.run.rssMb.after ?? 0,
      },
    },
    rounds,
  }
}

function withoutSamples(run: LoadRun): Omit<LoadRun, 'rssSamples'> {
  const { rssSamples: _samples, ...rest } = run
  return rest
}

/** Every comparison whose two targets both ran. */
function compare(results: TargetResult[]): ComparisonResult[] {
  const byName = new Map(results.map((result) => [result.name, result.summary]))
  return COMPARISONS.flatMap((comparison) => {
    const measured = byName.get(comparison.measured)
    const reference = byName.get(comparison.reference)
    // Nothing to compare when either side answered no 2xx at all.
    if (!measured || !reference || reference.requestsPerSecond === 0 || measured.requestsPerSecond === 0) return []
    const ratio = Math.round((measured.requestsPerSecond / reference.requestsPerSecond) * 1000) / 1000
    const cpuRatio = measured.cpu.msPerResponse > 0 ? Math.round((reference.cpu.msPerResponse / measured.cpu.msPerResponse) * 1000) / 1000 : 0
    const extraCpuMsPerResponse = Math.round((measured.cpu.msPerResponse - reference.cpu.msPerResponse) * 1000) / 1000
    return [{ name: comparison.name, ratio, target: comparison.target, met: ratio >= comparison.target, cpuRatio, extraCpuMsPerResponse }]
  })
}

function printLoadReport(report: LoadReport, output: Output): void {
  const { settings, machine } = report
  output.line()
  output.line(
    `Load: ${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s measured per target, ` +
      `${settings.rounds} round(s)${settings.freshServersEachRound ? ' on fresh servers each' : ' on the same servers'}, servers compiled by langvel build (${settings.server.source}); ${machine.cpus} CPUs (${machine.cpuModel}), load average ${machine.loadAverageAtStart[0]} at start, ${machine.loadAverageAtEnd[0]} at end`,
  )
  output.table(
    ['target', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx', 'timeouts', 'warm-up errors', 'CPU ms/req', 'RSS MB before/peak/after'],
    report.targets.map(({ name, summary }) => [
      name,
      summary.requestsPerSecond,
      summary.latencyMs.p50,
      summary.latencyMs.p95,
      summary.latencyMs.p99,
      summary.latencyMs.max,
      summary.errors.total,
      summary.errors.non2xx,
      summary.errors.timeouts,
      summary.warmupErrors,
      summary.cpu.msPerResponse,
      `${summary.rssMb.before} / ${summary.rssMb.peak} / ${summary.rssMb.after}`,
    ]),
  )
  output.line()
  for (const comparison of report.comparisons) {
    const verdict = comparison.met ? output.paint('green', 'met') : output.paint('red', 'MISSED')
    output.line(
      `${comparison.name}: ${(comparison.ratio * 100).toFixed(1)}% of throughput (target >= ${comparison.target * 100}%) ${verdict}; ` +
        `by CPU per request ${(comparison.cpuRatio * 100).toFixed(1)}% (${comparison.extraCpuMsPerResponse >= 0 ? '+' : ''}${comparison.extraCpuMsPerResponse} ms CPU per request)`,
    )
  }
  printPersistence(report.persistence, output)
  printTraces(report.targets, settings, output)
  for (const target of report.targets) {
    if (target.summary.errors.total > 0) {
      output.line(`${target.name}: ${output.paint('red', `${target.summary.errors.total} errors`)} (target: zero) ${JSON.stringify(target.summary.statusCodes)}`)
    }
  }
  for (const note of report.notes) output.line(`note: ${note}`)
  output.line(`result: ${report.resultFile}`)
  if (report.profileDir) output.line(`CPU profiles: ${report.profileDir} (written as the servers stop)`)
}
