import { loadavg } from 'node:os'
import type { Output } from '../framework/console/output'
import { BenchServers } from './harness/bench_servers'
import { drive, type LoadRun, type RssSample } from './harness/drive'
import { describeMachine, type MachineInfo } from './harness/machine'
import { toMb } from './harness/rss'
import { profileDirFor, writeResult } from './harness/write_result'
import type { BenchContext } from './load_bench'
import type { BenchOptions } from './options'
import { selectTargets } from './targets'

/** The target: RSS may grow less than this over the measured requests. */
export const RSS_GROWTH_TARGET_MB = 20

/** Idle time before the settled RSS reading (the server is not told to collect garbage). */
const SETTLE_MS = 3000

/** Seconds of RSS samples at the start and at the end of the measured phase whose medians are compared. */
const WINDOW_SECONDS = 5

export interface MemoryReport {
  kind: 'memory'
  name: string
  startedAt: string
  finishedAt: string
  machine: MachineInfo & { loadAverageAtEnd: number[] }
  settings: {
    target: string
    path: string
    connections: number
    warmupRequests: number
    requests: number
    /** How the server ran: the compiled output of `langvel build`. */
    server: { compiled: true; source: string; buildSeconds: number }
    langvelEnv?: Record<string, string>
    /** The target's own settings on top of langvelEnv. */
    targetEnv?: Record<string, string>
  }
  measured: Omit<LoadRun, 'rssSamples'>
  /**
   * afterWarmup and end: medians of the RSS samples in the first and last 5 s
   * of the measured requests; growth = end - afterWarmup (the figure the target
   * applies to); settledEnd: 3 s after the last response; peak: VmHWM.
   */
  rssMb: { afterWarmup: number; end: number; growth: number; settledEnd: number; peak: number; target: number; met: boolean }
  /** RSS once a second during the measured requests. */
  rssSamples: RssSample[]
  notes: string[]
  resultFile?: string
  profileDir?: string
}

/**
 * `npm run bench -- memory`: sends the warm-up requests, then the measured
 * requests (50,000 by default) on the same connections, sampling the
 * server's RSS once a second. Reports RSS after the warm-up and at the end
 * (medians of the first and last seconds of the measured requests), their
 * difference against the 20 MB target (never asserted), the RSS once idle,
 * and writes the JSON result with the RSS series.
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
  // The memory checkpointer keeps every thread for the life of the process (by design), which is
  // growth, not a leak: measure with the default driver unless told otherwise (--env STATE_CHECKPOINTER=memory).
  const env = { STATE_CHECKPOINTER: 'sqlite', ...options.env }
  const profileDir = profileDirFor(context.root, options)
  const servers = await BenchServers.start(targets, {
    root: context.root,
    build: context.build,
    guard: context.guard,
    env,
    postgresUrl: options.postgresUrl,
    log,
    profileDir,
  })
  const { prepared, notes } = await servers.prepare(targets)
  const entry = prepared[0]
  if (!entry) throw new Error(`target ${targets[0].name} is not available: ${notes.join('; ')}`)
  log(`${options.warmupRequests} warm-up + ${options.requests} measured requests to ${entry.target.path}, ${options.connections} connections`)
  let nextProgress = 10
  const { run: measured } = await drive({
    url: entry.server.url,
    target: entry.target,
    headers: entry.headers,
    connections: options.connections,
    server: entry.server,
    warmup: { requests: options.warmupRequests },
    measure: { requests: options.requests },
    onSample: (sample, responses) => {
      if (sample.seconds < nextProgress) return
      nextProgress += 10
      log(`${responses}/${options.requests} requests, RSS ${sample.rssMb} MB`)
    },
  })
  await settle()
  const settled = entry.server.memory()
  const afterWarmup = windowMedian(measured.rssSamples, 'first')
  const end = windowMedian(measured.rssSamples, 'last')
  const growth = Math.round((end - afterWarmup) * 10) / 10

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
      server: { compiled: true, source: context.build.source, buildSeconds: context.build.seconds },
      langvelEnv: entry.target.server === 'langvel' ? servers.langvelSettings : undefined,
      targetEnv: servers.settingsOf(entry.target),
    },
    measured: measuredFigures,
    rssMb: {
      afterWarmup,
      end,
      growth,
      settledEnd: toMb(settled?.rss ?? 0),
      peak: toMb(settled?.peak ?? 0),
      target: RSS_GROWTH_TARGET_MB,
      met: growth < RSS_GROWTH_TARGET_MB,
    },
    rssSamples,
    notes,
    profileDir,
  }
  report.resultFile = writeResult(context.root, options.name, report)
  printMemoryReport(report, output)
  return report
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
}

/**
 * Median RSS of the samples in the first or last WINDOW_SECONDS of the
 * measured phase. Both readings are taken under the same load, and a median
 * is not thrown by one garbage-collection cycle caught at its top.
 */
function windowMedian(samples: RssSample[], which: 'first' | 'last'): number {
  if (samples.length === 0) return 0
  const lastSecond = samples[samples.length - 1].seconds
  const inWindow = samples.filter((sample) => (which === 'first' ? sample.seconds <= WINDOW_SECONDS : sample.seconds >= lastSecond - WINDOW_SECONDS))
  const sorted = inWindow.map((sample) => sample.rssMb).sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)]
}

function printMemoryReport(report: MemoryReport, output: Output): void {
  const { measured, rssMb, settings } = report
  output.line()
  output.line(
    `Memory: ${settings.target} (${settings.path}), ${settings.connections} connections, ${settings.warmupRequests} warm-up + ${settings.requests} measured requests; ` +
      `${report.machine.cpus} CPUs, load average ${report.machine.loadAverageAtStart[0]} at start, ${report.machine.loadAverageAtEnd[0]} at end`,
  )
  output.table(
    ['requests', '2xx', 'errors', 'warm-up errors', 'req/s', 'p99 ms', 'CPU ms/req', 'RSS after warm-up MB', 'RSS end MB', 'growth MB', 'settled end MB', 'peak MB'],
    [
      [
        measured.responses,
        measured.ok,
        measured.errors.total,
        measured.warmupErrors,
        measured.requestsPerSecond,
        measured.latencyMs.p99,
        measured.cpu.msPerResponse,
        rssMb.afterWarmup,
        rssMb.end,
        rssMb.growth,
        rssMb.settledEnd,
        rssMb.peak,
      ],
    ],
  )
  const verdict = rssMb.met ? output.paint('green', 'met') : output.paint('red', 'MISSED')
  output.line(`RSS growth: ${rssMb.growth} MB over ${measured.responses} requests (target < ${rssMb.target} MB) ${verdict}`)
  for (const note of report.notes) output.line(`note: ${note}`)
  output.line(`result: ${report.resultFile}`)
  if (report.profileDir) output.line(`CPU profiles: ${report.profileDir} (written as the servers stop)`)
}
