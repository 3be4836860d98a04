import cluster from 'node:cluster'
import { AggregatorRegistry } from 'prom-client'
import type { Logger } from '../logger'
import type { Metrics } from './metrics'

const REQUEST = 'langvel:metrics:request'
const RESPONSE = 'langvel:metrics:response'
const TIMEOUT_MS = 5000

interface MetricsMessage {
  type: string
  id: number
  text?: string
  error?: string
}

let primaryServing = false

/**
 * In the cluster primary: answers a worker's request for the metrics of all
 * workers. The primary collects every worker's registry (prom-client's
 * AggregatorRegistry) and sums them, so whichever worker Prometheus reaches,
 * /metrics covers the whole server.
 *
 * @example
 * if (cluster.isPrimary) serveClusterMetrics()
 */
export function serveClusterMetrics(): void {
  if (primaryServing) return
  primaryServing = true
  const aggregator = new AggregatorRegistry()
  cluster.on('message', (worker, message: MetricsMessage) => {
    if (message?.type !== REQUEST) return
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: RESPONSE, id: message.id, text }),
      (error: Error) => worker.isConnected() && worker.send({ type: RESPONSE, id: message.id, error: error.message }),
    )
  })
}

/**
 * In a cluster worker: registers this process's registry with prom-client's
 * cluster protocol and returns the /metrics source that asks the primary for
 * the aggregate. If the primary does not answer in time, this worker's own
 * figures are served (and a warning logged) rather than nothing.
 *
 * @example
 * const source = clusterMetricsSource(getMetrics(), logger)
 */
export function clusterMetricsSource(metrics: Metrics, logger: Logger): () => Promise<string> {
  AggregatorRegistry.setRegistries([metrics.registry])
  // Constructing one installs the worker's listener for the primary's collection requests.
  new AggregatorRegistry()
  let nextId = 0
  const pending = new Map<number, (message: MetricsMessage) => void>()
  process.on('message', (message: MetricsMessage) => {
    if (message?.type === RESPONSE) pending.get(message.id)?.(message)
  })
  return () =>
    new Promise<string>((resolve) => {
      const id = nextId++
      const fallback = (reason: string) => {
        logger.warn('cluster metrics unavailable; serving this worker only', { reason })
        resolve(metrics.render())
      }
      const timer = setTimeout(() => {
        pending.delete(id)
        fallback('timeout')
      }, TIMEOUT_MS)
      pending.set(id, (message) => {
        clearTimeout(timer)
        pending.delete(id)
        if (message.text !== undefined) resolve(message.text)
        else fallback(message.error ?? 'error')
      })
      if (!process.send?.({ type: REQUEST, id })) {
        clearTimeout(timer)
        pending.delete(id)
        fallback('no IPC channel')
      }
    })
}
