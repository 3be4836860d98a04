import { Registry } from 'prom-client'
import type { AppEnvironment } from '../../../../framework/config/define_config'
import { FakeEmbeddings } from '../../../../framework/rag/embeddings/fake_embeddings'
import { RagManager, type RagConfig } from '../../../../framework/rag/rag_manager'
import { RagMetrics } from '../../../../framework/rag/rag_metrics'
import type { Embeddings } from '../../../../framework/rag/types'

/** config/rag.ts's defaults, on the fake embeddings. */
export function ragConfig(overrides: { chroma?: Partial<RagConfig['chroma']>; embeddings?: Partial<RagConfig['embeddings']>; defaultK?: number; storagePath?: string } = {}): RagConfig {
  return {
    chroma: { url: undefined, tenant: 'default_tenant', database: 'default_database', apiKey: undefined, timeoutMs: 5000, retries: 3, ...overrides.chroma },
    storagePath: overrides.storagePath ?? 'storage/chroma',
    defaultK: overrides.defaultK ?? 5,
    embeddings: { provider: 'fake', model: undefined, baseUrl: undefined, apiKey: undefined, ...overrides.embeddings } as RagConfig['embeddings'],
  }
}

/** A manager on a given Chroma, its own metrics registry, and fake embeddings unless told otherwise. */
export function testRag(url: string, options: { embeddings?: Embeddings; appEnv?: AppEnvironment; defaultK?: number } = {}) {
  const registry = new Registry()
  const metrics = new RagMetrics(registry)
  const manager = new RagManager({
    config: ragConfig({ chroma: { url }, defaultK: options.defaultK }),
    appEnv: options.appEnv ?? 'test',
    basePath: process.cwd(),
    embeddings: options.embeddings ?? new FakeEmbeddings(64),
    metrics,
  })
  return { manager, metrics, registry }
}

/** The value of a metric series (a counter's value, a histogram's count) for the given labels. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name) as unknown as { get(): Promise<{ values: Array<{ labels: Record<string, unknown>; value: number; metricName?: string }> }> }
  const { values } = await metric.get()
  const wanted = values.filter((v) => (v.metricName === undefined || v.metricName.endsWith('_count') || v.metricName === name) && Object.entries(labels).every(([k, value]) => v.labels[k] === value))
  const count = wanted.find((v) => v.metricName?.endsWith('_count')) ?? wanted[0]
  return count?.value ?? 0
}
