import { Registry } from 'prom-client'
import { LlmManager, LlmMetrics, OFFLINE_CONFIG, type LlmConfig, type LlmManagerOptions } from '../../../framework/llm'

/** An offline manager (fake driver) on its own metrics registry, with instant backoff. */
export function fakeManager(config: Partial<LlmConfig> = {}, options: Partial<LlmManagerOptions> = {}) {
  const metrics = new LlmMetrics(new Registry())
  const manager = new LlmManager({ config: { ...OFFLINE_CONFIG, ...config }, metrics, retry: { baseDelayMs: 1, maxDelayMs: 1000 }, ...options })
  return { manager, metrics, script: manager.fake(), llm: manager.llm() }
}

export async function counter(metrics: LlmMetrics, name: keyof LlmMetrics, labels: Record<string, string>): Promise<number> {
  const metric = metrics[name] as unknown as { get(): Promise<{ values: Array<{ labels: Record<string, unknown>; value: number }> }> }
  const { values } = await metric.get()
  return values.filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value)).reduce((sum, v) => sum + v.value, 0)
}
