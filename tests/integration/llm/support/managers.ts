import { Registry } from 'prom-client'
import { LlmManager, LlmMetrics, OFFLINE_CONFIG, type LlmConfig } from '../../../../framework/llm'

/** A manager on its own metrics registry with short backoffs, so tests stay fast and independent. */
export function testManager(config: Partial<LlmConfig>, options: { sleep?: (ms: number, signal?: AbortSignal) => Promise<void> } = {}) {
  const registry = new Registry()
  const metrics = new LlmMetrics(registry)
  const manager = new LlmManager({
    config: { ...OFFLINE_CONFIG, timeoutSeconds: 5, maxRetries: 2, ...config },
    metrics,
    retry: { baseDelayMs: 5, maxDelayMs: 2000 },
    sleep: options.sleep,
  })
  return { manager, metrics, registry }
}

/** The value of a counter for the given labels (0 when never incremented). */
export async function counterValue(metrics: LlmMetrics, name: keyof LlmMetrics, labels: Record<string, string>): Promise<number> {
  const metric = metrics[name] as unknown as { get(): Promise<{ values: Array<{ labels: Record<string, unknown>; value: number }> }> }
  const { values } = await metric.get()
  const match = values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))
  return match?.value ?? 0
}
