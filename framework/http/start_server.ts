import cluster from 'node:cluster'
import type { AgentRunner } from '../contracts/agent_run'
import { E_SHUTTING_DOWN } from '../errors'
import type { Application } from '../foundation/application'
import { clusterMetricsSource } from '../observability/cluster_metrics'
import { getMetrics } from '../observability/metrics'
import { createServer, type HttpServer, type ListeningAddress, type ServerOptions } from './server'

export interface StartServerOptions extends Omit<ServerOptions, 'app' | 'runner'> {
  app: Application
  runner: AgentRunner
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** Drain on SIGTERM and SIGINT (a second signal stops at once). On by default. */
  handleSignals?: boolean
}

export interface RunningServer {
  server: HttpServer
  address: ListeningAddress
  /** Resolves once the server has drained and the application has shut down. */
  stopped: Promise<void>
  /** Drains and shuts down (what a signal does). */
  stop(): Promise<void>
}

/**
 * Starts the HTTP server in this process and ties it to the process life:
 * on SIGTERM or SIGINT it stops accepting, reports not-ready, lets in-flight
 * requests and streams finish within SHUTDOWN_GRACE_SECONDS, then runs
 * `app.shutdown()` (database and Redis pools). Under node:cluster, /metrics
 * serves all workers' figures and a lost primary stops the worker. Unless
 * given `mcp`, the MCP endpoint is mounted as config/mcp.ts's `expose` says.
 *
 * @example
 * const running = await startServer({ app, runner, port: 8000 })
 * await running.stopped
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { app, runner, host, port, handleSignals = true, ...serverOptions } = options
  if (cluster.isWorker && !serverOptions.metrics?.source) {
    const metrics = serverOptions.metrics?.registry ?? getMetrics()
    serverOptions.metrics = { ...serverOptions.metrics, registry: metrics, source: clusterMetricsSource(metrics, app.logger) }
  }
  const mcp = serverOptions.mcp ?? (app.config.has('mcp') ? app.config.get('mcp').expose : undefined)
  const server = createServer({ app, runner, ...serverOptions, mcp })
  const address = await server.listen(port, host)
  // Say which model provider is active: a fake driver in production is worth noticing at a glance.
  const model = app.bound('llm') ? app.make('llm').describe().summary : undefined
  app.logger.info('server listening', { url: address.url, pid: process.pid, model })

  let resolveStopped: () => void = () => undefined
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve))
  let stopping: Promise<void> | undefined
  let signals = 0
  const onSignal = (signal: NodeJS.Signals) => {
    signals++
    if (signals === 1) {
      app.logger.info('shutting down', { signal, inFlight: server.kernel.inFlight })
      void stop()
      return
    }
    // A second signal means "now": cancel what runs and drop the connections.
    app.logger.warn('second signal: stopping immediately', { signal })
    server.supervisor.abortAll(new E_SHUTTING_DOWN())
    server.nodeServer?.closeAllConnections()
  }
  const onDisconnect = () => void stop()
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await server.shutdown()
        await app.shutdown()
      } finally {
        process.off('SIGTERM', onSignal)
        process.off('SIGINT', onSignal)
        process.off('disconnect', onDisconnect)
        resolveStopped()
      }
    })()
    return stopping
  }
  if (handleSignals) {
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  }
  if (cluster.isWorker) process.on('disconnect', onDisconnect)
  return { server, address, stopped, stop }
}
