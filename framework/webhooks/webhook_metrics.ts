import { Counter, type Registry } from 'prom-client'
import { getMetrics } from '../observability/metrics'

export type WebhookOutcome = 'delivered' | 'failed' | 'refused' | 'dropped'

/**
 * Webhook metrics on a registry (the process-wide one by default, so they
 * appear on /metrics).
 *
 * @example
 * webhookMetrics().deliveries.inc({ outcome: 'delivered' })
 */
export class WebhookMetrics {
  readonly deliveries: Counter<'outcome'>
  readonly retries: Counter
  readonly dropped: Counter

  constructor(readonly registry: Registry) {
    const registers = [registry]
    this.deliveries = new Counter({
      name: 'langvel_webhook_deliveries_total',
      help: 'Webhook deliveries by outcome: delivered (2xx), failed (attempts used up or a final 4xx), refused (address not allowed), dropped (queue full or shutting down)',
      labelNames: ['outcome'] as const,
      registers,
    })
    this.retries = new Counter({
      name: 'langvel_webhook_retries_total',
      help: 'Webhook attempts that failed with a network error, a timeout, 429 or 5xx and were tried again',
      registers,
    })
    this.dropped = new Counter({
      name: 'langvel_webhook_dropped_total',
      help: 'Webhook deliveries never attempted: the pending queue was full (WEBHOOK_MAX_PENDING) or the server was shutting down',
      registers,
    })
  }
}

const byRegistry = new WeakMap<Registry, WebhookMetrics>()

/** The webhook metrics on `registry` (default: the process-wide metrics registry), created once. */
export function webhookMetrics(registry: Registry = getMetrics().registry): WebhookMetrics {
  let metrics = byRegistry.get(registry)
  if (!metrics) {
    metrics = new WebhookMetrics(registry)
    byRegistry.set(registry, metrics)
  }
  return metrics
}
