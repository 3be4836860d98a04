import { randomUUID } from 'node:crypto'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { Registry } from 'prom-client'
import { busMetrics } from '../framework/bus/bus_metrics'
import { BUS_DEFAULTS } from '../framework/bus/bus_options'
import { MemoryBus } from '../framework/bus/memory_bus'
import { RedisBus } from '../framework/bus/redis_bus'
import { RedisBusKeys } from '../framework/bus/redis_bus_keys'
import type { Output } from '../framework/console/output'
import { RedisManager } from '../framework/redis/redis_manager'
import { flood, PUBLISHERS, throughputRound, type BusTarget, type FloodResult, type ThroughputRound } from './bus_phases'
import { describeMachine } from './harness/machine'
import { median } from './harness/percentiles'
import { deleteRedisKeys } from './harness/redis_cleanup'
import { writeResult } from './harness/write_result'
import { integer, resultName } from './options'

export const BUS_USAGE = `Usage: npm run bench -- bus [options]

  Measures the message bus in this process, driver by driver: a flood
  (publishers as fast as they can against a slow subscriber, with the bound:
  RSS, queue depth, waits and refusals, and a check that every accepted
  message was delivered exactly once), then throughput (publish to
  acknowledged delivery, a fast subscriber, --rounds rounds, median
  reported). Nothing is asserted.

  --name <name>          result file bench/results/<name>.json (default: bus-<timestamp>)
  --driver <d>           memory, redis or both (default both; redis is skipped when unreachable)
  --seconds <s>          publishing time of each throughput round and of the flood (default 3)
  --rounds <n>           throughput rounds per driver, the drivers taking turns (default 3)
  --size <bytes>         message size as JSON (default 256)
  --max-queue <n>        the bound, BUS_MAX_QUEUE (default ${BUS_DEFAULTS.maxQueue})
  --on-full <mode>       flood: wait or refuse, BUS_ON_FULL (default ${BUS_DEFAULTS.onFull})
  --publish-timeout <ms> flood: longest wait for room, BUS_PUBLISH_TIMEOUT_MS (default ${BUS_DEFAULTS.publishTimeoutMs})
  --slow-ms <ms>         flood: the slow subscriber's time per message (default 5)
  --concurrency <n>      throughput: the fast subscriber's concurrency (default 8)
  --redis <url>          Redis for the redis driver (default redis://127.0.0.1:6379/15); keys under a prefix of the run, deleted after
  --json                 print the result document instead of tables (status lines on stderr)
  -h, --help             this text

  Run with NODE_OPTIONS=--expose-gc for RSS readings taken after a garbage collection.
`

export type BusBenchDriver = 'memory' | 'redis'

export interface BusBenchOptions {
  name: string
  drivers: BusBenchDriver[]
  seconds: number
  rounds: number
  size: number
  maxQueue: number
  onFull: 'wait' | 'refuse'
  publishTimeoutMs: number
  slowMs: number
  concurrency: number
  redisUrl: string
  json: boolean
  help: boolean
}

export const DEFAULT_BUS_REDIS_URL = 'redis://127.0.0.1:6379/15'

/**
 * Parses `npm run bench -- bus ...` arguments (without `bus`); throws with
 * the offending flag named.
 *
 * @example
 * parseBusBenchArgs(['--driver', 'memory', '--size', '1024']).drivers // ['memory']
 */
export function parseBusBenchArgs(argv: string[], now = new Date()): BusBenchOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      driver: { type: 'string' },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      size: { type: 'string' },
      'max-queue': { type: 'string' },
      'on-full': { type: 'string' },
      'publish-timeout': { type: 'string' },
      'slow-ms': { type: 'string' },
      concurrency: { type: 'string' },
      redis: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (positionals.length > 0) throw new Error(`unexpected argument: ${positionals.join(' ')}`)
  const driver = values.driver ?? 'both'
  if (driver !== 'memory' && driver !== 'redis' && driver !== 'both') throw new Error(`--driver ${JSON.stringify(driver)}: expected memory, redis or both`)
  const onFull = values['on-full'] ?? BUS_DEFAULTS.onFull
  if (onFull !== 'wait' && onFull !== 'refuse') throw new Error(`--on-full ${JSON.stringify(onFull)}: expected wait or refuse`)
  const redisUrl = values.redis ?? DEFAULT_BUS_REDIS_URL
  if (!/^rediss?:\/\/[^/]+/.test(redisUrl)) throw new Error(`--redis ${JSON.stringify(redisUrl)}: expected redis://host:port/db`)
  return {
    name: resultName(values.name, 'bus', now),
    drivers: driver === 'both' ? ['memory', 'redis'] : [driver],
    seconds: integer('--seconds', values.seconds, 3, 1, 600),
    rounds: integer('--rounds', values.rounds, 3, 1, 100),
    size: integer('--size', values.size, 256, 1, 10_000_000),
    maxQueue: integer('--max-queue', values['max-queue'], BUS_DEFAULTS.maxQueue, 1, 1_000_000),
    onFull,
    publishTimeoutMs: integer('--publish-timeout', values['publish-timeout'], BUS_DEFAULTS.publishTimeoutMs, 0, 600_000),
    slowMs: integer('--slow-ms', values['slow-ms'], 5, 1, 60_000),
    concurrency: integer('--concurrency', values.concurrency, 8, 1, 1000),
    redisUrl,
    json: values.json ?? false,
    help: values.help ?? false,
  }
}

interface DriverFigures {
  throughput: { rounds: ThroughputRound[]; medianPublishedPerSecond: number; medianDeliveredPerSecond: number; exactlyOnce: boolean }
  flood: FloodResult
}

interface BusBenchContext {
  output: Output
  root: string
}

/**
 * `npm run bench -- bus`: a flood per driver, then throughput rounds (the
 * drivers taking turns); prints tables (or the JSON with --json) and writes
 * bench/results/<name>.json. Resolves with the exit code: 0 when the run
 * completed, 1 on an error, 2 on bad arguments.
 *
 * @example
 * await runBusBench(['--driver', 'memory', '--seconds', '2'], { root, output })
 */
export async function runBusBench(argv: string[], context: BusBenchContext): Promise<number> {
  let options: BusBenchOptions
  try {
    options = parseBusBenchArgs(argv)
  } catch (error) {
    context.output.error(error instanceof Error ? error.message : String(error))
    process.stderr.write(`\n${BUS_USAGE}`)
    return 2
  }
  if (options.help) {
    context.output.line(BUS_USAGE)
    return 0
  }
  const output = options.json ? context.output.forJson() : context.output
  const startedAt = new Date().toISOString()
  const machine = describeMachine()
  const prefix = `langvel-bench-bus:${process.pid}-${randomUUID().slice(0, 8)}:`
  const redis = options.drivers.includes('redis') ? new RedisManager({ url: options.redisUrl, prefix, commandTimeoutMs: 5000 }) : undefined
  const skipped: Record<string, string> = {}
  try {
    const targets: BusTarget[] = []
    for (const driver of options.drivers) {
      if (driver === 'memory') targets.push(memoryTarget())
      else {
        const reachable = await (redis as RedisManager).ping().then(
          () => undefined,
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        )
        if (reachable === undefined) targets.push(redisTarget(redis as RedisManager, prefix))
        else {
          skipped.redis = `Redis at ${options.redisUrl} unreachable: ${reachable}`
          output.warn(`skipping the redis driver: ${skipped.redis}`)
        }
      }
    }
    if (targets.length === 0) {
      output.error('no driver left to measure')
      return 1
    }
    // The floods come first: their RSS readings start from a process that has not yet churned through the throughput rounds' messages.
    const floods = new Map<string, FloodResult>()
    for (const target of targets) {
      output.info(`flood, ${target.driver}: ${PUBLISHERS} publishers for ${options.seconds} s against a subscriber taking ${options.slowMs} ms per message...`)
      floods.set(target.driver, await flood(target, options))
    }
    const rounds = new Map<string, ThroughputRound[]>(targets.map((target) => [target.driver, []]))
    for (let round = 0; round < options.rounds; round++) {
      // The drivers take turns, the first one changing every round, so neither always runs on the coldest or warmest process.
      for (let turn = 0; turn < targets.length; turn++) {
        const target = targets[(round + turn) % targets.length]
        output.info(`throughput, ${target.driver}, round ${round + 1}/${options.rounds} (${options.seconds} s)...`)
        rounds.get(target.driver)?.push(await throughputRound(target, options))
      }
    }
    const drivers: Record<string, DriverFigures> = {}
    for (const target of targets) {
      const figures = rounds.get(target.driver) as ThroughputRound[]
      drivers[target.driver] = {
        throughput: {
          rounds: figures,
          medianPublishedPerSecond: median(figures.map((figure) => figure.publishedPerSecond)),
          medianDeliveredPerSecond: median(figures.map((figure) => figure.deliveredPerSecond)),
          exactlyOnce: figures.every((figure) => figure.delivery.exactlyOnce),
        },
        flood: floods.get(target.driver) as FloodResult,
      }
    }
    const { json: _json, help: _help, drivers: _drivers, ...settings } = options
    const result = {
      kind: 'bus',
      name: options.name,
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: { ...machine, loadAverageAtEnd: loadavg().map((value) => Math.round(value * 100) / 100) },
      settings: { ...settings, publishers: PUBLISHERS },
      drivers,
      skipped,
    }
    const file = writeResult(context.root, options.name, result)
    if (options.json) output.json(result)
    else printResult(output, drivers, options)
    for (const [driver, figures] of Object.entries(drivers)) {
      if (!figures.throughput.exactlyOnce || !figures.flood.delivery.exactlyOnce) output.warn(`${driver}: some accepted message was not delivered exactly once (see "delivery" in ${file})`)
      if (!figures.flood.boundRespected) output.warn(`${driver}: the queue went past its bound of ${options.maxQueue}`)
    }
    output.success(`wrote ${file}`)
    return 0
  } finally {
    if (redis && !skipped.redis) {
      const cleanup = await deleteRedisKeys(options.redisUrl, prefix)
      if ('error' in cleanup) output.warn(`could not delete the run's Redis keys (${prefix}*): ${cleanup.error}`)
    }
    await redis?.close()
  }
}

function memoryTarget(): BusTarget {
  return { driver: 'memory', create: (options) => metered((metrics) => new MemoryBus({ ...options, metrics })) }
}

function redisTarget(redis: RedisManager, prefix: string): BusTarget {
  const connection = redis.connection('bench')
  const keys = new RedisBusKeys(prefix)
  return {
    driver: 'redis',
    create: (options) => metered((metrics) => new RedisBus({ ...options, connection, prefix, metrics })),
    storedLength: (topic) => connection.xlen(keys.stream(topic)),
  }
}

/** A bus on a registry of its own: every phase reads its own counters from zero. */
function metered<B>(create: (metrics: ReturnType<typeof busMetrics>) => B): { bus: B; metrics: ReturnType<typeof busMetrics> } {
  const metrics = busMetrics(new Registry())
  return { bus: create(metrics), metrics }
}

function printResult(output: Output, drivers: Record<string, DriverFigures>, options: BusBenchOptions): void {
  const entries = Object.entries(drivers)
  output.line()
  output.table(
    [`throughput, ${options.size}-byte messages`, 'published msgs/s (rounds)', 'median published/s', 'median delivered/s', 'exactly once'],
    entries.map(([driver, { throughput }]) => [
      driver,
      throughput.rounds.map((round) => Math.round(round.publishedPerSecond)).join(', '),
      Math.round(throughput.medianPublishedPerSecond),
      Math.round(throughput.medianDeliveredPerSecond),
      throughput.exactlyOnce ? 'yes' : 'NO',
    ]),
  )
  output.line()
  output.table(
    [`flood, ${options.onFull}`, 'accepted/s', 'depth peak / bound', 'stream peak', 'waited', 'refused', 'RSS MB before / peak / after', 'heap MB before / after', 'drain s', 'exactly once (missing, dup.)'],
    entries.map(([driver, { flood: figures }]) => [
      driver,
      Math.round(figures.acceptedPerSecond),
      `${figures.depthPeak ?? '-'} / ${figures.maxQueue}`,
      figures.storedPeak ?? '-',
      figures.waited,
      figures.refused,
      `${figures.rssMb.before} / ${figures.rssMb.peak} / ${figures.rssMb.after}`,
      `${figures.heapMb.before} / ${figures.heapMb.after}`,
      figures.drainSeconds,
      `${figures.delivery.exactlyOnce ? 'yes' : 'NO'} (${figures.delivery.missing}, ${figures.delivery.duplicated})`,
    ]),
  )
  if (entries.some(([, figures]) => !figures.flood.gcExposed)) output.line('RSS read without a garbage collection first (run with NODE_OPTIONS=--expose-gc for settled readings)')
}
