import { loadavg } from 'node:os'
import type { Output } from '../framework/console/output'
import { BenchServers } from './harness/bench_servers'
import { drive, type LoadRun, type RssSample } from './harness/drive'
import { describeMachine, type MachineInfo } from './harness/machine'
import { toMb } from './harness/rss'
import { writeResult } from './harness/write_result'
import type { BenchContext } from './load_bench'
import type { BenchOptions } from './options'
import { selectTargets } from './targets'

/** The target: RSS may grow less than this over the measured requests. */
export const RSS_GROWTH_TARGET_MB = 20

/** Idle time before an RSS reading, so it is not taken mid-burst (the server is not told to collect garbage). */
const SETTLE_MS = 3000

export interface MemoryReport {
  kind: 'memory'
  name: string
  startedAt: string
  finishedAt: string
  machine: MachineInfo & { loadAverageAtEnd: number[] }
  settings: { target: string; path: string; connections: number; warmupRequests: number; requests: number; langvelEnv?: Record<string, string> }
  warmup: Omit<LoadRun, 'rssSamples'>
  measured: Omit<LoadRun, 'rssSamples'>
  rssMb: { afterWarmup: number; end: number; growth: number; peak: number; target: number; met: boolean }
  /** RSS once a second during the measured requests. */
  rssSamples: RssSample[]
  notes: string[]
  resultFile?: string
}

/**
 * `npm run bench -- memory`: warms the server up, reads its RSS, sends the
 * measured requests (50,000 by default) at the configured concurrency, lets
 * it settle and reads RSS again. Reports the growth against the 20 MB target
 * (never asserted) and writes the JSON result with the RSS series.
 *
 * @example
 * await runMemoryBench(parseBenchArgs(['memory']), { root, guard, output })
 */
export async function runMemoryBench(options: BenchOptions, context: BenchContext): Promise<MemoryReport> {
  const { output } = context
  const startedAt = new Date()
  const machine = describeMachine()
  const log = (line: string) => output.info(line)
  const targets = selectTargets(options.targets)
  const servers = await BenchServers.start(targets, { root: context.root, guard: context.guard, env: options.env, log })
  const { prepared, notes } = await servers.prepare(targets)
  const entry = prepared[0]
  if (!entry) throw new Error(`target ${targets[0].name} is not available: ${notes.join('; ')}`)
  const common = { url: entry.server.url, target: entry.target, headers: entry.headers, connections: options.connections, server: entry.server }

  log(`warm-up: ${options.warmupRequests} requests to ${entry.target.path}`)
  const warmup = options.warmupRequests > 0 ? (await drive({ ...common, amount: options.warmupRequests })).run : undefined
  await settle()
  const afterWarmup = entry.server.memory()?.rss ?? 0
  log(`RSS after warm-up: ${toMb(afterWarmup)} MB; sending ${options.requests} requests`)

  let nextProgress = 10
  const { run: measured } = await drive({
    ...common,
    amount: options.requests,
    onSample: (sample, completed) => {
      if (sample.seconds < nextProgress) return
      nextProgress += 10
      log(`${completed}/${options.requests} requests, RSS ${sample.rssMb} MB`)
    },
  })
  await settle()
  const end = entry.server.memory()
  const endRss = end?.rss ?? 0
  const growth = toMb(endRss - afterWarmup)

  const { rssSamples, ...measuredFigures } = measured
  const report: MemoryReport = {
    kind: 'memory',
    name: options.name,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { ...machine, loadAverageAtEnd: loadavg().map((value) => Math.round(value * 100) / 100) },
    settings: {
      target: entry.target.name,
      path: entry.target.path,
      connections: options.connections,
      warmupRequests: options.warmupRequests,
      requests: options.requests,
      langvelEnv: entry.target.server === 'langvel' ? servers.langvelSettings : undefined,
    },
    warmup: warmup ? withoutSamples(warmup) : emptyRun(),
    measured: measuredFigures,
    rssMb: {
      afterWarmup: toMb(afterWarmup),
      end: toMb(endRss),
      growth,
      peak: toMb(end?.peak ?? 0),
      target: RSS_GROWTH_TARGET_MB,
      met: growth < RSS_GROWTH_TARGET_MB,
    },
    rssSamples,
    notes,
  }
  report.resultFile = writeResult(context.root, options.name, report)
  printMemoryReport(report, output)
  return report
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
}

function withoutSamples(run: LoadRun): Omit<LoadRun, 'rssSamples'> {
  const { rssSamples: _samples, ...rest } = run
  return rest
}

function emptyRun(): Omit<LoadRun, 'rssSamples'> {
  return {
    responses: 0,
    ok: 0,
    durationSeconds: 0,
    requestsPerSecond: 0,
    latencyMs: { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 },
    errors: { non2xx: 0, errors: 0, timeouts: 0, total: 0 },
    statusCodes: {},
    rssMb: { before: 0, peak: 0, after: 0 },
  }
}

function printMemoryReport(report: MemoryReport, output: Output): void {
  const { measured, rssMb, settings } = report
  output.line()
  output.line(
    `Memory: ${settings.target} (${settings.path}), ${settings.connections} connections, ${settings.warmupRequests} warm-up + ${settings.requests} measured requests; ` +
      `${report.machine.cpus} CPUs, load average ${report.machine.loadAverageAtStart[0]} at start, ${report.machine.loadAverageAtEnd[0]} at end`,
  )
  output.table(
    ['requests', '2xx', 'errors', 'req/s', 'p99 ms', 'RSS after warm-up MB', 'RSS end MB', 'growth MB', 'peak MB'],
    [[measured.responses, measured.ok, measured.errors.total, measured.requestsPerSecond, measured.latencyMs.p99, rssMb.afterWarmup, rssMb.end, rssMb.growth, rssMb.peak]],
  )
  const verdict = rssMb.met ? output.paint('green', 'met') : output.paint('red', 'MISSED')
  output.line(`RSS growth: ${rssMb.growth} MB over ${measured.responses} requests (target < ${rssMb.target} MB) ${verdict}`)
  for (const note of report.notes) output.line(`note: ${note}`)
  output.line(`result: ${report.resultFile}`)
}
