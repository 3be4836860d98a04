import type { Registry } from 'prom-client'

/**
 * A factory of one metrics object per prom-client registry, created on first
 * use: prom-client refuses to register a metric name twice on one registry.
 *
 * @example
 * const metricsOn = perRegistry((registry) => new RagMetrics(registry))
 * metricsOn(getMetrics().registry).recordSearch('docs', 0.01)
 */
export function perRegistry<M>(create: (registry: Registry) => M): (registry: Registry) => M {
  const byRegistry = new WeakMap<Registry, M>()
  return (registry) => {
    let metrics = byRegistry.get(registry)
    if (!metrics) {
      metrics = create(registry)
      byRegistry.set(registry, metrics)
    }
    return metrics
  }
}
