import { Counter, Histogram, type Registry } from 'prom-client'
import { getMetrics } from '../observability/metrics'
import { perRegistry } from '../support/per_registry'

/** How one request to a provider ended. A closed set, so the label stays bounded. */
export type LlmOutcome = 'success' | 'error' | 'rate_limited' | 'timeout' | 'cancelled'

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120]

/**
 * Model metrics, registered on a metrics registry (the process-wide one by
 * default, so they appear on /metrics and are summed across cluster workers).
 * Labels: provider and model (from configuration and code, never from
 * request input), and fixed outcomes and token kinds.
 *
 * @example
 * const metrics = llmMetrics()
 * metrics.recordRequest('openai', 'gpt-4o-mini', 'success', 0.8)
 * metrics.recordTokens('openai', 'gpt-4o-mini', 120, 48)
 */
export class LlmMetrics {
  readonly requests: Counter<'provider' | 'model' | 'outcome'>
  readonly duration: Histogram<'provider' | 'model'>
  readonly tokens: Counter<'provider' | 'model' | 'kind'>
  readonly retries: Counter<'provider' | 'model' | 'reason'>
  readonly cacheHits: Counter<'provider' | 'model'>
  readonly cacheMisses: Counter<'provider' | 'model'>

  constructor(readonly registry: Registry) {
    const registers = [registry]
    this.requests = new Counter({
      name: 'langvel_llm_requests_total',
      help: 'Model calls sent to a provider, by provider, model and outcome (cache hits excluded)',
      labelNames: ['provider', 'model', 'outcome'] as const,
      registers,
    })
    this.duration = new Histogram({
      name: 'langvel_llm_request_duration_seconds',
      help: 'Duration of model calls that reached a provider, retries included',
      labelNames: ['provider', 'model'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.tokens = new Counter({
      name: 'langvel_llm_tokens_total',
      help: 'Tokens by provider, model and kind (prompt, completion); local counts when the provider reports none',
      labelNames: ['provider', 'model', 'kind'] as const,
      registers,
    })
    this.retries = new Counter({
      name: 'langvel_llm_retries_total',
      help: 'Retried model requests by provider, model and reason (rate_limited, server, network, timeout)',
      labelNames: ['provider', 'model', 'reason'] as const,
      registers,
    })
    this.cacheHits = new Counter({
      name: 'langvel_llm_cache_hits_total',
      help: 'Model calls answered from the response cache',
      labelNames: ['provider', 'model'] as const,
      registers,
    })
    this.cacheMisses = new Counter({
      name: 'langvel_llm_cache_misses_total',
      help: 'Cacheable model calls not found in the response cache',
      labelNames: ['provider', 'model'] as const,
      registers,
    })
  }

  recordRequest(provider: string, model: string, outcome: LlmOutcome, seconds: number): void {
    this.requests.inc({ provider, model, outcome })
    this.duration.observe({ provider, model }, seconds)
  }

  recordTokens(provider: string, model: string, prompt: number, completion: number): void {
    if (prompt > 0) this.tokens.inc({ provider, model, kind: 'prompt' }, prompt)
    if (completion > 0) this.tokens.inc({ provider, model, kind: 'completion' }, completion)
  }

  recordRetry(provider: string, model: string, reason: string): void {
    this.retries.inc({ provider, model, reason })
  }

  recordCache(provider: string, model: string, hit: boolean): void {
    const counter = hit ? this.cacheHits : this.cacheMisses
    counter.inc({ provider, model })
  }
}

const metricsOn = perRegistry((registry) => new LlmMetrics(registry))

/** The model metrics on `registry` (default: the process-wide metrics registry), created once. */
export function llmMetrics(registry: Registry = getMetrics().registry): LlmMetrics {
  return metricsOn(registry)
}
