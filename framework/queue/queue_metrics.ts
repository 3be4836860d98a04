import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { RunQueue } from '../contracts/run_queue'
import { getMetrics } from '../observability/metrics'
import { perRegistry } from '../support/per_registry'

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600]

/**
 * Run queue metrics. The queue label is QUEUE_NAME (configuration, never request text).
 *
 * @example
 * queueMetrics().retried.inc({ queue: 'runs' })
 */
export class QueueMetrics {
  readonly depth: Gauge<'queue' | 'state'>
  readonly workers: Gauge<'queue'>
  readonly waitSeconds: Histogram<'queue'>
  readonly runSeconds: Histogram<'queue' | 'status'>
  readonly stalled: Counter<'queue'>
  readonly retried: Counter<'queue'>
  readonly failed: Counter<'queue'>
  /** Queues whose depth and workers are counted afresh on each scrape. */
  private readonly watched = new Set<Pick<RunQueue, 'counts' | 'workers'>>()

  constructor(registry: Registry) {
    const registers = [registry]
    const watched = this.watched
    this.depth = new Gauge({
      name: 'langvel_queue_jobs',
      help: 'Run jobs by queue state, as last counted (the same on every process of a Redis queue)',
      labelNames: ['queue', 'state'] as const,
      aggregator: 'max',
      registers,
      // counts() sets this gauge; a queue that cannot answer keeps its last figures.
      async collect() {
        await Promise.all([...watched].map((queue) => queue.counts().catch(() => undefined)))
      },
    })
    this.workers = new Gauge({
      name: 'langvel_queue_workers',
      help: 'Processes consuming the queue, as last counted',
      labelNames: ['queue'] as const,
      aggregator: 'max',
      registers,
      async collect() {
        await Promise.all([...watched].map((queue) => queue.workers().catch(() => undefined)))
      },
    })
    this.waitSeconds = new Histogram({
      name: 'langvel_queue_wait_seconds',
      help: 'From a run being enqueued to an attempt starting',
      labelNames: ['queue'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.runSeconds = new Histogram({
      name: 'langvel_queue_run_seconds',
      help: 'From a run being enqueued to it ending, by final status',
      labelNames: ['queue', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.stalled = new Counter({ name: 'langvel_queue_stalled_total', help: 'Run jobs whose worker stopped renewing its lock (crashed) and that were handed to another', labelNames: ['queue'] as const, registers })
    this.retried = new Counter({ name: 'langvel_queue_retried_total', help: 'Run attempts that failed and were scheduled again', labelNames: ['queue'] as const, registers })
    this.failed = new Counter({ name: 'langvel_queue_failed_total', help: 'Run jobs that failed for good (attempts used up)', labelNames: ['queue'] as const, registers })
  }

  /** Counts the queue's jobs and workers on each scrape of the registry, until `unwatch`. */
  watch(queue: Pick<RunQueue, 'counts' | 'workers'>): void {
    this.watched.add(queue)
  }

  unwatch(queue: Pick<RunQueue, 'counts' | 'workers'>): void {
    this.watched.delete(queue)
  }
}

const metricsOn = perRegistry((registry) => new QueueMetrics(registry))

/** The queue metrics on `registry` (default: the process-wide metrics registry). */
export function queueMetrics(registry: Registry = getMetrics().registry): QueueMetrics {
  return metricsOn(registry)
}
