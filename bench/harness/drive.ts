import autocannon from 'autocannon'
import type { BenchTarget } from '../targets'
import { summarizeLatencies, type LatencySummary } from './percentiles'
import { toMb, type ProcessMemory } from './rss'

/** What a drive reads the server's memory and CPU time from. */
export interface MemorySource {
  memory(): ProcessMemory | undefined
  cpuSeconds(): number | undefined
}

/** A phase length: seconds of load, or a number of responses. */
export type PhaseLength = { seconds: number } | { requests: number }

export interface DriveOptions {
  /** Server origin, e.g. http://127.0.0.1:41234. */
  url: string
  target: BenchTarget
  /** Headers after `{{token}}` substitution. */
  headers: Record<string, string>
  connections: number
  /** Load before measuring, on the same connections. */
  warmup: PhaseLength
  measure: PhaseLength
  server: MemorySource
  sampleEveryMs?: number
  /** Called at each memory sample of the measured phase (progress output of long runs). */
  onSample?: (sample: RssSample, measuredResponses: number) => void
}

export interface RssSample {
  /** Seconds since the measured phase started. */
  seconds: number
  rssMb: number
}

/** One measured drive of one target. */
export interface LoadRun {
  /** Responses completed in the measured phase (any status). */
  responses: number
  /** 2xx responses in the measured phase: the throughput figure counts only these. */
  ok: number
  durationSeconds: number
  /** 2xx responses per second of the measured phase. */
  requestsPerSecond: number
  /** Latency of the requests sent during the measured phase. */
  latencyMs: LatencySummary
  /** Failures of requests sent during the measured phase. */
  errors: { non2xx: number; errors: number; timeouts: number; total: number }
  /** Failures of requests sent during the warm-up (the connection-opening burst), reported apart. */
  warmupErrors: number
  /** Responses completed during the warm-up (any status): with `responses`, everything the server answered. */
  warmupResponses: number
  /** Requests of either phase that got no response (timeouts, socket errors): the server may still have run them. */
  unanswered: number
  statusCodes: Record<string, number>
  /**
   * Server CPU (user + system, all threads) during the measured phase: per
   * response, and as a share of one core. Unlike req/s, CPU per request is
   * barely moved by other processes competing for the cores.
   */
  cpu: { msPerResponse: number; coreShare: number }
  rssMb: { before: number; peak: number; after: number }
  rssSamples: RssSample[]
}

const TIMEOUT_SECONDS = 10

/**
 * Drives one target with one autocannon instance (keep-alive connections, no
 * pipelining): a warm-up phase, then the measured phase on the SAME
 * connections. Why one instance: a saturated Node server accepts new
 * connections slowly (measured here: ~90 connections waited in the listen
 * queue and took ~8 s to be accepted, the baseline and a bare Express server
 * alike), so 100 connections opened at once leave some first requests
 * waiting for seconds, some past the 10 s timeout. That burst belongs to the
 * warm-up; the measured phase starts on established connections (a
 * connection autocannon reopens after a timeout meets the same wait, and
 * its errors are counted). Requests are assigned to
 * the phase in which they were SENT; throughput counts the 2xx responses
 * completed within the measured phase.
 *
 * @example
 * const { run } = await drive({ url: server.url, target, headers: {}, connections: 100, warmup: { seconds: 3 }, measure: { seconds: 10 }, server })
 * run.requestsPerSecond
 */
export async function drive(options: DriveOptions): Promise<{ run: LoadRun; latencies: number[] }> {
  const { target, server, warmup, measure } = options
  const latencies: number[] = []
  const statusCodes: Record<string, number> = {}
  const errors = { non2xx: 0, errors: 0, timeouts: 0 }
  let warmupErrors = 0
  let warmupResponses = 0
  let unanswered = 0
  let measuredResponses = 0
  let ok = 0

  const length = autocannonLength(warmup, measure)
  let measureStart = Infinity
  let measureEnd = Infinity
  let cpuAtStart: number | undefined
  let rssAtStart: number | undefined
  let peak = 0
  const rssSamples: RssSample[] = []
  const sample = () => {
    const rss = server.memory()?.rss
    if (rss === undefined || !Number.isFinite(measureStart)) return
    peak = Math.max(peak, rss)
    const point = { seconds: Math.round((performance.now() - measureStart) / 100) / 10, rssMb: toMb(rss) }
    rssSamples.push(point)
    options.onSample?.(point, measuredResponses)
  }
  // The measured phase starts here: responses completing from now on count, and CPU and RSS are read now.
  const startMeasuring = () => {
    if (Number.isFinite(measureStart)) return
    measureStart = performance.now()
    cpuAtStart = server.cpuSeconds()
    rssAtStart = server.memory()?.rss
    peak = rssAtStart ?? 0
  }
  const sampler = setInterval(sample, options.sampleEveryMs ?? 1000)
  const warmupTimer = 'seconds' in warmup ? setTimeout(startMeasuring, warmup.seconds * 1000) : undefined
  if ('requests' in warmup && warmup.requests === 0) startMeasuring()

  let cpuAtEnd: number | undefined
  try {
    await new Promise<void>((resolve, reject) => {
      const instance = autocannon(
        {
          url: `${options.url}${target.path}`,
          method: target.method,
          headers: { 'content-type': 'application/json', ...options.headers },
          body: target.body === undefined ? undefined : JSON.stringify(target.body),
          connections: options.connections,
          pipelining: 1,
          timeout: TIMEOUT_SECONDS,
          ...length,
        },
        (error) => {
          measureEnd = performance.now()
          cpuAtEnd = server.cpuSeconds()
          return error ? reject(error) : resolve()
        },
      )
      instance.on('response', (_client, status, _bytes, responseTime) => {
        const now = performance.now()
        if (now < measureStart) {
          warmupResponses++
          if (status < 200 || status > 299) warmupErrors++
          if ('requests' in warmup && warmupResponses >= warmup.requests) startMeasuring()
          return
        }
        measuredResponses++
        if (status >= 200 && status <= 299) ok++
        statusCodes[status] = (statusCodes[status] ?? 0) + 1
        if (now - responseTime < measureStart) {
          // Sent during the warm-up: its wait belongs to the connection burst.
          if (status < 200 || status > 299) warmupErrors++
          return
        }
        latencies.push(responseTime)
        if (status < 200 || status > 299) errors.non2xx++
      })
      instance.on('reqError', (error: Error) => {
        unanswered++
        const now = performance.now()
        const timedOut = error?.message === 'request timed out'
        const sentAt = timedOut ? now - TIMEOUT_SECONDS * 1000 : now
        if (sentAt < measureStart) {
          warmupErrors++
          return
        }
        errors.errors++
        if (timedOut) errors.timeouts++
      })
    })
  } finally {
    clearInterval(sampler)
    clearTimeout(warmupTimer)
  }
  // A warm-up longer than the whole drive leaves an empty measured phase rather than a wrong one.
  if (!Number.isFinite(measureStart)) measureStart = measureEnd
  sample()
  const after = server.memory()?.rss ?? 0

  // autocannon's own duration covers both phases; the measured phase is ours.
  const durationSeconds = Math.max(0.001, (measureEnd - measureStart) / 1000)
  const cpuSeconds = cpuAtStart !== undefined && cpuAtEnd !== undefined ? cpuAtEnd - cpuAtStart : 0
  const run: LoadRun = {
    responses: measuredResponses,
    ok,
    durationSeconds: Math.round(durationSeconds * 100) / 100,
    requestsPerSecond: Math.round((ok / durationSeconds) * 10) / 10,
    latencyMs: summarizeLatencies(latencies),
    // autocannon counts timeouts among its errors; so do we.
    errors: { ...errors, total: errors.non2xx + errors.errors },
    warmupErrors,
    warmupResponses,
    unanswered,
    statusCodes,
    cpu: {
      msPerResponse: measuredResponses > 0 ? Math.round(((cpuSeconds * 1000) / measuredResponses) * 1000) / 1000 : 0,
      coreShare: Math.round((cpuSeconds / durationSeconds) * 100) / 100,
    },
    rssMb: { before: toMb(rssAtStart ?? after), peak: toMb(Math.max(peak, after)), after: toMb(after) },
    rssSamples,
  }
  return { run, latencies }
}

/** autocannon runs both phases as one: their summed duration, or their summed request count. */
function autocannonLength(warmup: PhaseLength, measure: PhaseLength): { duration: number } | { amount: number } {
  if ('seconds' in warmup && 'seconds' in measure) return { duration: warmup.seconds + measure.seconds }
  if ('requests' in warmup && 'requests' in measure) return { amount: warmup.requests + measure.requests }
  throw new Error('the warm-up and measured phases must both be in seconds or both in requests')
}
