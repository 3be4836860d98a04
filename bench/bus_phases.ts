import { randomUUID } from 'node:crypto'
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import type { MessageBus } from '../framework/contracts/bus'
import type { BusMetrics } from '../framework/bus/bus_metrics'
import type { BusOptions } from '../framework/bus/bus_options'
import { isException } from '../framework/errors'
import { DeliveryLedger, type DeliveryReport } from './harness/delivery_ledger'
import { PeakSampler } from './harness/peak_sampler'
import { toMb } from './harness/rss'

/** A driver as the phases use it: a fresh bus per phase, on its own metrics registry. */
export interface BusTarget {
  driver: 'memory' | 'redis'
  create(options: Partial<BusOptions>): { bus: MessageBus; metrics: BusMetrics }
  /** Redis: the length of the topic's stream, what Redis actually stores. */
  storedLength?: (topic: string) => Promise<number>
}

export interface BusMessage {
  n: number
  pad: string
}

/** Publish calls a producer keeps outstanding at once. */
export const PUBLISHERS = 32
/**
 * A memory publish with room settles in microtasks only: a producer that never
 * yields would starve every timer (the slow handler's, the samplers'). Each
 * publisher lets the event loop turn after this many of its publishes.
 */
const YIELD_EVERY = 64
const SAMPLE_MS = 25
/** Longest wait, once publishing stopped, for the accepted messages to be acknowledged. */
const DRAIN_LIMIT_MS = 60_000

/**
 * The message with sequence number `n` whose JSON, as the bus carries it, is
 * `size` bytes long (or as short as `{"n":…,"pad":""}` allows).
 *
 * @example
 * JSON.stringify(benchMessage(7, 256)).length // 256
 */
export function benchMessage(n: number, size: number): BusMessage {
  const bare = `{"n":${n},"pad":""}`.length
  return { n, pad: 'x'.repeat(Math.max(0, size - bare)) }
}

export interface ThroughputRound {
  accepted: number
  publishedPerSecond: number
  /** Accepted messages over the time from the first publish to the last acknowledgement. */
  deliveredPerSecond: number
  publishSeconds: number
  deliverSeconds: number
  delivery: DeliveryReport
}

/**
 * One throughput round: PUBLISHERS publish as fast as they can for `seconds`
 * to a subscriber whose handler only records the message; then the round
 * waits until the bus has acknowledged every accepted message (its delivered
 * counter: after XACK on Redis).
 */
export async function throughputRound(target: BusTarget, options: { seconds: number; size: number; maxQueue: number; concurrency: number }): Promise<ThroughputRound> {
  // Waiting, with a generous timeout: a round measures deliveries, not refusals.
  const { bus, metrics } = target.create({ maxQueue: options.maxQueue, onFull: 'wait', publishTimeoutMs: 30_000 })
  const topic = uniqueTopic('throughput')
  const ledger = new DeliveryLedger()
  try {
    await bus.subscribe<BusMessage, void>(topic, (message) => ledger.delivered(message.n), { concurrency: options.concurrency })
    const started = performance.now()
    await produce(bus, topic, ledger, options.seconds, options.size)
    const publishSeconds = (performance.now() - started) / 1000
    await until(async () => (await acknowledged(metrics, topic)) >= ledger.accepted, DRAIN_LIMIT_MS)
    const deliverSeconds = (performance.now() - started) / 1000
    const delivery = ledger.report()
    return {
      accepted: delivery.accepted,
      publishedPerSecond: round(delivery.accepted / publishSeconds),
      deliveredPerSecond: round(delivery.accepted / deliverSeconds),
      publishSeconds: round(publishSeconds),
      deliverSeconds: round(deliverSeconds),
      delivery,
    }
  } finally {
    await bus.close()
  }
}

export interface FloodResult {
  seconds: number
  slowMs: number
  maxQueue: number
  onFull: 'wait' | 'refuse'
  publishTimeoutMs: number
  /** Deepest queue seen through bus.depth(). */
  depthPeak: number | null
  /** Redis: the longest the topic's stream was. */
  storedPeak: number | null
  boundRespected: boolean
  /** Publishes that found the topic full and waited (the bus's own counter). */
  waited: number
  refused: number
  acceptedPerSecond: number
  /** Time from the end of the flood until every accepted message was acknowledged (the handler no longer sleeps). */
  drainSeconds: number
  /** Sampled from before the flood until after its bus closed (and a garbage collection, when exposed). */
  rssMb: { before: number; peak: number; after: number }
  /** V8 heap in use, before the flood and after its bus closed: with a garbage collection first, what the process still holds. */
  heapMb: { before: number; after: number }
  gcExposed: boolean
  delivery: DeliveryReport
}

/**
 * The flood: PUBLISHERS publish as fast as they can for `seconds` to one
 * subscriber that sleeps `slowMs` per message, with the bus's bound. RSS is
 * sampled throughout, the queue's depth too. Then the handler stops
 * sleeping, the backlog drains, and the ledger checks every accepted message
 * reached the handler exactly once.
 */
export async function flood(
  target: BusTarget,
  options: { seconds: number; size: number; maxQueue: number; onFull: 'wait' | 'refuse'; publishTimeoutMs: number; slowMs: number },
): Promise<FloodResult> {
  collectGarbage()
  const before = process.memoryUsage()
  const { bus, metrics } = target.create({ maxQueue: options.maxQueue, onFull: options.onFull, publishTimeoutMs: options.publishTimeoutMs })
  const topic = uniqueTopic('flood')
  const ledger = new DeliveryLedger()
  let draining = false
  try {
    await bus.subscribe<BusMessage, void>(topic, async (message) => {
      ledger.delivered(message.n)
      if (!draining) await sleep(options.slowMs)
    })
    const rss = new PeakSampler(() => process.memoryUsage().rss, SAMPLE_MS).start()
    const depth = new PeakSampler(() => bus.depth(topic), SAMPLE_MS).start()
    const storedLength = target.storedLength
    const stored = storedLength ? new PeakSampler(() => storedLength(topic), SAMPLE_MS).start() : undefined
    const started = performance.now()
    await produce(bus, topic, ledger, options.seconds, options.size)
    const floodSeconds = (performance.now() - started) / 1000
    draining = true
    const [depthPeak, storedPeak] = await Promise.all([depth.stop(), stored?.stop()])
    const drainStarted = performance.now()
    await until(async () => (await acknowledged(metrics, topic)) >= ledger.accepted, DRAIN_LIMIT_MS)
    const drainSeconds = (performance.now() - drainStarted) / 1000
    const waited = await counterValue(metrics.waited, topic)
    const refused = await counterValue(metrics.refused, topic)
    await bus.close()
    collectGarbage()
    const after = process.memoryUsage()
    const rssPeak = (await rss.stop()).peak ?? 0
    const delivery = ledger.report()
    const storedMax = storedPeak?.peak ?? null
    return {
      seconds: round(floodSeconds),
      slowMs: options.slowMs,
      maxQueue: options.maxQueue,
      onFull: options.onFull,
      publishTimeoutMs: options.publishTimeoutMs,
      depthPeak: depthPeak.peak,
      storedPeak: storedMax,
      boundRespected: (depthPeak.peak ?? 0) <= options.maxQueue && (storedMax ?? 0) <= options.maxQueue,
      waited,
      refused,
      acceptedPerSecond: round(delivery.accepted / floodSeconds),
      drainSeconds: round(drainSeconds),
      rssMb: { before: toMb(before.rss), peak: toMb(Math.max(rssPeak, before.rss, after.rss)), after: toMb(after.rss) },
      heapMb: { before: toMb(before.heapUsed), after: toMb(after.heapUsed) },
      gcExposed: typeof globalThis.gc === 'function',
      delivery,
    }
  } finally {
    await bus.close()
  }
}

/** PUBLISHERS loops publishing numbered messages until `seconds` have passed; each outcome goes to the ledger. */
async function produce(bus: MessageBus, topic: string, ledger: DeliveryLedger, seconds: number, size: number): Promise<void> {
  const end = performance.now() + seconds * 1000
  let next = 0
  const publisher = async () => {
    for (let sent = 1; performance.now() < end; sent++) {
      const n = next++
      try {
        await bus.publish(topic, benchMessage(n, size))
        ledger.published(n, 'accepted')
      } catch (error) {
        ledger.published(n, isException(error) && error.code === 'E_BUS_FULL' ? 'refused' : 'failed')
      }
      if (sent % YIELD_EVERY === 0) await nextTurn()
    }
  }
  await Promise.all(Array.from({ length: PUBLISHERS }, publisher))
}

/** Messages of `topic` the bus counts as delivered: after the handler on memory, after XACK on Redis. */
function acknowledged(metrics: BusMetrics, topic: string): Promise<number> {
  return counterValue(metrics.delivered, topic)
}

async function counterValue(counter: BusMetrics['delivered'], topic: string): Promise<number> {
  const { values } = await counter.get()
  return values.find((sample) => sample.labels.topic === topic)?.value ?? 0
}

async function until(check: () => Promise<boolean>, limitMs: number): Promise<boolean> {
  const limit = performance.now() + limitMs
  while (performance.now() < limit) {
    if (await check()) return true
    await sleep(5)
  }
  return check()
}

function uniqueTopic(kind: string): string {
  return `bench-${kind}-${randomUUID().slice(0, 8)}`
}

function collectGarbage(): void {
  if (typeof globalThis.gc === 'function') globalThis.gc()
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}
