import cluster, { type Worker } from 'node:cluster'
import type { Logger } from '../logger'
import { serveClusterMetrics } from '../observability/cluster_metrics'

export interface ClusterOptions {
  workers: number
  logger: Logger
  /** SHUTDOWN_GRACE_SECONDS: workers get this long to drain before they are killed. */
  graceSeconds: number
  /** Called once, when the first worker listens. */
  onListening?: (address: { host: string; port: number; url: string }) => void
  /** Extra environment for the workers. */
  env?: Record<string, string>
  /** Messages workers send the primary (a request for the managed Chroma's URL); `reply` answers that worker. */
  onWorkerMessage?: (reply: (message: unknown) => void, message: unknown) => void
}

/** A worker that dies within this long after starting counts as a crash loop. */
const QUICK_DEATH_MS = 5000
const MAX_RESTART_DELAY_MS = 10_000

/**
 * The cluster primary of `langvel serve --workers N`: forks N workers (each
 * re-runs the same command and serves on the shared port), restarts a worker
 * that dies (backing off when they die right after starting), aggregates
 * /metrics across workers, and on SIGTERM/SIGINT asks every worker to drain,
 * killing stragglers once the grace period is over. Resolves with the exit code.
 *
 * @example
 * if (cluster.isPrimary && workers > 1) return runClusterPrimary({ workers, logger, graceSeconds: 30 })
 */
export function runClusterPrimary(options: ClusterOptions): Promise<number> {
  const { logger } = options
  serveClusterMetrics()
  let stopping = false
  let announced = false
  let quickDeaths = 0
  /** Live workers by id, with when they started. */
  const startedAt = new Map<number, number>()

  const fork = () => {
    const worker = cluster.fork(options.env)
    startedAt.set(worker.id, Date.now())
    return worker
  }

  return new Promise<number>((resolve) => {
    cluster.on('listening', (_worker, address) => {
      if (announced) return
      announced = true
      const host = !address.address || address.address === '::' ? '0.0.0.0' : address.address
      options.onListening?.({ host, port: address.port, url: `http://${host}:${address.port}` })
    })

    const onMessage = (worker: Worker, message: unknown) => {
      options.onWorkerMessage?.((answer) => {
        // A worker that died meanwhile has nobody left to answer.
        if (worker.isConnected()) worker.send(answer as never)
      }, message)
    }
    cluster.on('message', onMessage)

    cluster.on('exit', (worker: Worker, code, signal) => {
      const lived = Date.now() - (startedAt.get(worker.id) ?? 0)
      startedAt.delete(worker.id)
      if (stopping) {
        if (startedAt.size === 0) finish()
        return
      }
      quickDeaths = lived < QUICK_DEATH_MS ? quickDeaths + 1 : 0
      const delay = Math.min(MAX_RESTART_DELAY_MS, quickDeaths === 0 ? 0 : 250 * 2 ** (quickDeaths - 1))
      logger.warn('worker died; starting a new one', { pid: worker.process.pid, code, signal, restartInMs: delay })
      setTimeout(() => {
        if (!stopping) fork()
      }, delay)
    })

    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // Second signal: no more waiting.
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL')
        return
      }
      stopping = true
      logger.info('stopping workers', { signal })
      const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined && startedAt.has(worker.id))
      if (workers.length === 0) return finish()
      for (const worker of workers) worker.process.kill('SIGTERM')
      setTimeout(() => {
        for (const worker of Object.values(cluster.workers ?? {})) {
          if (!worker || !startedAt.has(worker.id)) continue
          logger.warn('worker did not drain in time; killing it', { pid: worker?.process.pid })
          worker.process.kill('SIGKILL')
        }
      }, (options.graceSeconds + 5) * 1000).unref()
    }

    let finished = false
    const finish = () => {
      if (finished) return
      finished = true
      process.off('SIGTERM', stop)
      process.off('SIGINT', stop)
      cluster.off('message', onMessage)
      resolve(0)
    }

    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
    for (let index = 0; index < options.workers; index++) fork()
  })
}
