import { Counter, type Registry } from 'prom-client'
import { getMetrics } from '../observability/metrics'
import { perRegistry } from '../support/per_registry'

/** What became of the episode of a finished run. A closed set, so the label stays bounded. */
export type EpisodeOutcome = 'stored' | 'failed' | 'skipped'

/**
 * Episodic memory metrics, on a metrics registry (the process-wide one by
 * default, so they appear on /metrics). A failed episode never fails its run:
 * this counter (and a warning in the log) is where it shows.
 *
 * @example
 * memoryMetrics().recordEpisode('/assistant', 'stored')
 */
export class MemoryMetrics {
  readonly episodes: Counter<'agent' | 'outcome'>

  constructor(readonly registry: Registry) {
    this.episodes = new Counter({
      name: 'langvel_memory_episodes_total',
      help: 'Summaries of finished threads by agent route and outcome (stored, failed, skipped: an empty summary)',
      labelNames: ['agent', 'outcome'] as const,
      registers: [registry],
    })
  }

  recordEpisode(agent: string, outcome: EpisodeOutcome): void {
    this.episodes.inc({ agent, outcome })
  }
}

const metricsOn = perRegistry((registry) => new MemoryMetrics(registry))

/** The memory metrics on `registry` (default: the process-wide metrics registry), created once. */
export function memoryMetrics(registry: Registry = getMetrics().registry): MemoryMetrics {
  return metricsOn(registry)
}
