import autocannon from 'autocannon'
import type { BenchTarget } from '../targets'
import { summarizeLatencies, type LatencySummary } from './percentiles'
import { toMb, type ProcessMemory } from './rss'

/** What a drive reads the server's memory from. */
export interface MemorySource {
  memory(): ProcessMemory | undefined
}

export interface DriveOptions {
  /** Server origin, e.g. http://127.0.0.1:41234. */
  url: string
  target: BenchTarget
  /** Headers after `{{token}}` substitution. */
  headers: Record<string, string>
  connections: number
  /** Seconds to run; ignored when `amount` is set. */
  duration?: number
  /** Exact number of requests to send instead of a duration. */
  amount?: number
  server: MemorySource
  sampleEveryMs?: number
  /** Called at each memory sample (progress output of long runs). */
  onSample?: (sample: RssSample, completed: number) => void
}

export interface RssSample {
  /** Seconds since the drive started. */
  seconds: number
  rssMb: number
}

/** One measured drive of one target. */
export interface LoadRun {
  /** Responses received (any status). */
  responses: number
  /** 2xx responses: the throughput figure counts only these. */
  ok: number
  durationSeconds: number
  /** 2xx responses per second. */
  requestsPerSecond: number
  latencyMs: LatencySummary
  errors: { non2xx: number; errors: number; timeouts: number; total: number }
  statusCodes: Record<string, number>
  rssMb: { before: number; peak: number; after: number }
  rssSamples: RssSample[]
}

/**
 * Drives one target with autocannon (keep-alive connections, no pipelining)
 * and returns throughput, latency percentiles, errors and the server's RSS
 * before, during (peak of the samples) and after the drive. The raw latencies
 * are returned too, so rounds can be merged before taking percentiles.
 *
 * @example
 * const { run } = await drive({ url: server.url, target, headers: {}, connections: 100, duration: 10, server })
 * run.requestsPerSecond
 */
export async function drive(options: DriveOptions): Promise<{ run: LoadRun; latencies: number[] }> {
  const { target, server } = options
  const latencies: number[] = []
  const rssSamples: RssSample[] = []
  const before = server.memory()?.rss ?? 0
  let peak = before
  let completed = 0
  const started = Date.now()
  const sample = () => {
    const rss = server.memory()?.rss
    if (rss === undefined) return
    peak = Math.max(peak, rss)
    const point = { seconds: Math.round((Date.now() - started) / 100) / 10, rssMb: toMb(rss) }
    rssSamples.push(point)
    options.onSample?.(point, completed)
  }
  const sampler = setInterval(sample, options.sampleEveryMs ?? 1000)

  let result: autocannon.Result
  try {
    result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: `${options.url}${target.path}`,
          method: target.method,
          headers: { 'content-type': 'application/json', ...options.headers },
          body: target.body === undefined ? undefined : JSON.stringify(target.body),
          connections: options.connections,
          pipelining: 1,
          timeout: 10,
          ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 10 }),
        },
        (error, done) => (error ? reject(error) : resolve(done)),
      )
      instance.on('response', (_client, _status, _bytes, responseTime) => {
        completed++
        latencies.push(responseTime)
      })
    })
  } finally {
    clearInterval(sampler)
  }
  sample()
  const after = server.memory()?.rss ?? 0

  const statusCodes: Record<string, number> = {}
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0
  const ok = result['2xx']
  const run: LoadRun = {
    responses: latencies.length,
    ok,
    durationSeconds: result.duration,
    requestsPerSecond: Math.round((ok / result.duration) * 10) / 10,
    latencyMs: summarizeLatencies(latencies),
    // autocannon counts timeouts among its errors already.
    errors: { non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, total: result.non2xx + result.errors },
    statusCodes,
    rssMb: { before: toMb(before), peak: toMb(peak), after: toMb(after) },
    rssSamples,
  }
  return { run, latencies }
}
