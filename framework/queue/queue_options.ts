import { E_INVALID_INPUT } from '../errors'

export const QUEUE_DRIVERS = ['sync', 'bullmq'] as const
export type QueueDriver = (typeof QUEUE_DRIVERS)[number]

/** What config/queue.ts defaults to, so a queue built by hand behaves like a configured one. */
export const QUEUE_DEFAULTS = {
  name: 'runs',
  concurrency: 4,
  attempts: 3,
  backoffMs: 1000,
  runTimeoutSeconds: 0,
  graceMs: 30_000,
  syncMaxWaiting: 1000,
  lockMs: 30_000,
  stalledIntervalMs: 15_000,
  maxStalled: 2,
  keepFailed: 5000,
  keepCompleted: 1000,
} as const

export interface QueueOptions {
  name: string
  concurrency: number
  /** Attempts per run job, the first included. */
  attempts: number
  /** First retry delay; each further retry doubles it. */
  backoffMs: number
  /** Longest run in seconds; 0 leaves it to the route's timeout. */
  runTimeoutSeconds: number
  /** How long close() lets held runs finish before draining them. */
  graceMs: number
  /** sync: runs waiting for a slot before enqueue refuses with E_QUEUE_FULL. */
  syncMaxWaiting: number
  /** bullmq: a worker renews its lock on a job this often / 2; a lock not renewed for this long marks the job stalled. */
  lockMs: number
  /** bullmq: how often workers look for stalled jobs. */
  stalledIntervalMs: number
  /** bullmq: times a job may stall (its worker died) before it fails for good. */
  maxStalled: number
  /** Failed jobs kept for retry; the oldest go first. */
  keepFailed: number
  /** Completed jobs kept (their run's outcome is in the runs table). */
  keepCompleted: number
}

export function queueOptions(options: Partial<QueueOptions> = {}): QueueOptions {
  const merged = { ...QUEUE_DEFAULTS, ...dropUndefined(options) }
  checkQueueName(merged.name)
  return merged
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

const NAME = /^[A-Za-z0-9_.-]{1,100}$/

/** Queue names become Redis key parts: letters, digits, `_ . -` only. */
export function checkQueueName(name: string): string {
  if (!NAME.test(name)) throw new E_INVALID_INPUT(`Queue name ${JSON.stringify(name)} is invalid: use 1-100 letters, digits, "_", "." or "-"`)
  return name
}

const RUN_ID = /^[A-Za-z0-9_.-]{1,128}$/

/**
 * Run ids are job ids and pub/sub payloads: bounded and plain. No ':'
 * (Redis key separator) and not all digits (BullMQ keeps those for its own
 * ids), so every driver accepts the same ids.
 */
export function checkRunId(runId: string): string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId) || /^\d+$/.test(runId)) {
    throw new E_INVALID_INPUT(`Run id ${JSON.stringify(typeof runId === 'string' ? runId.slice(0, 140) : runId)} is invalid: use 1-128 letters, digits, "_", "." or "-", not only digits`)
  }
  return runId
}
