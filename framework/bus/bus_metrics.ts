import { Counter, Gauge, type Registry } from 'prom-client'
import { getMetrics } from '../observability/metrics'

/**
 * Message bus metrics on a registry (the process-wide one by default, so they
 * appear on /metrics and are summed across cluster workers). The topic label
 * comes from code (the topics agents publish to), never from request text.
 *
 * @example
 * busMetrics().published.inc({ topic: 'orders' })
 */
export class BusMetrics {
  readonly depth: Gauge<'topic'>
  readonly published: Counter<'topic'>
  readonly delivered: Counter<'topic'>
  readonly retried: Counter<'topic'>
  readonly deadLettered: Counter<'topic'>
  readonly refused: Counter<'topic'>
  readonly waited: Counter<'topic'>

  constructor(readonly registry: Registry) {
    const registers = [registry]
    this.depth = new Gauge({
      name: 'langvel_bus_queue_depth',
      help: 'Messages of a topic not yet handled by its fullest queue, as last seen (bounded by BUS_MAX_QUEUE; the most over the workers of serve --workers N)',
      labelNames: ['topic'] as const,
      // Workers on the redis driver see the same stream: summing their views would multiply it.
      aggregator: 'max',
      registers,
    })
    this.published = new Counter({
      name: 'langvel_bus_published_total',
      help: 'Messages accepted by the bus, by topic',
      labelNames: ['topic'] as const,
      registers,
    })
    this.delivered = new Counter({
      name: 'langvel_bus_delivered_total',
      help: 'Messages whose handler succeeded, by topic (one per subscriber group)',
      labelNames: ['topic'] as const,
      registers,
    })
    this.retried = new Counter({
      name: 'langvel_bus_retried_total',
      help: 'Handler attempts that failed and were retried, by topic',
      labelNames: ['topic'] as const,
      registers,
    })
    this.deadLettered = new Counter({
      name: 'langvel_bus_dead_lettered_total',
      help: 'Messages moved to the dead letters after BUS_MAX_ATTEMPTS failed attempts, by topic',
      labelNames: ['topic'] as const,
      registers,
    })
    this.refused = new Counter({
      name: 'langvel_bus_refused_total',
      help: 'Publishes refused with E_BUS_FULL (at once or after waiting), by topic',
      labelNames: ['topic'] as const,
      registers,
    })
    this.waited = new Counter({
      name: 'langvel_bus_publish_waits_total',
      help: 'Publishes that found the topic full and waited for room (BUS_ON_FULL=wait), admitted or refused in the end, by topic',
      labelNames: ['topic'] as const,
      registers,
    })
  }
}

// One BusMetrics per registry: prom-client refuses to register a metric name twice.
const byRegistry = new WeakMap<Registry, BusMetrics>()

/** The bus metrics on `registry` (default: the process-wide metrics registry), created once. */
export function busMetrics(registry: Registry = getMetrics().registry): BusMetrics {
  let metrics = byRegistry.get(registry)
  if (!metrics) {
    metrics = new BusMetrics(registry)
    byRegistry.set(registry, metrics)
  }
  return metrics
}
