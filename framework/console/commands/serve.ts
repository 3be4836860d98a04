import cluster from 'node:cluster'
import { E_INVALID_CONFIG } from '../../errors'
import type { CommandHandler } from '../command'
import type { Application } from '../../foundation/application'
import type { McpManager } from '../../mcp/mcp_manager'
import { playgroundSettings } from '../../playground/playground_settings'

interface ServeOptions {
  host?: string
  port?: string
  watch?: boolean
  workers?: string
}

/** Set in the child of `--watch`, which must not watch again. */
const WATCH_CHILD = 'LANGVEL_SERVE_WATCH_CHILD'

/**
 * `langvel serve [--host] [--port] [--watch] [--workers N]`: starts the HTTP
 * server and prints its URL when it is ready; drains on SIGTERM/SIGINT and
 * exits 0. With `--workers N` the process becomes a cluster primary; each
 * worker runs this same command and serves on the shared port.
 */
const serve: CommandHandler<ServeOptions> = async ({ app, options, output }) => {
  const config = app.config.get('server')
  const host = options.host ?? config.host
  const port = options.port === undefined ? config.port : parseInteger('--port', options.port, 0, 65535)
  const workers = options.workers === undefined ? config.workers : parseInteger('--workers', options.workers, 1, 64)

  if (options.watch && !process.env[WATCH_CHILD]) {
    const { runWithWatch } = require('../../http/watcher') as typeof import('../../http/watcher')
    const args = [process.argv[1], ...process.argv.slice(2).filter((arg) => arg !== '--watch')]
    output.info(`Watching app/, config/ and routes/ for changes`)
    return runWithWatch({
      directories: ['app', 'config', 'routes'].map((folder) => app.codePathFor(folder)),
      args,
      logger: app.logger,
      env: { [WATCH_CHILD]: '1' },
    })
  }

  if (cluster.isPrimary) {
    const { prepareDatabase } = require('../../http/prepare_database') as typeof import('../../http/prepare_database')
    const ran = await prepareDatabase(app)
    if (ran.length > 0) output.info(`Ran ${ran.length} pending migration(s)`)
  }

  if (cluster.isPrimary && workers > 1) {
    // Read mcp.json here too, so a malformed one stops the boot before any worker starts.
    app.make('mcp')
    const { runClusterPrimary } = require('../../http/cluster') as typeof import('../../http/cluster')
    const { primaryChromaProvider } = require('../../rag/shared_chroma') as typeof import('../../rag/shared_chroma')
    // Workers share one managed Chroma, started here when the first of them uses RAG.
    const chroma = primaryChromaProvider(app)
    try {
      return await runClusterPrimary({
        workers,
        logger: app.logger,
        graceSeconds: config.shutdownGraceSeconds,
        onWorkerMessage: chroma?.onMessage,
        onListening: ({ url }) => {
          output.success(`Server ready at ${url} (${workers} workers, pid ${process.pid})`)
          if (playgroundSettings(app).enabled) output.info(`Playground at ${url}/_langvel (each worker keeps its own traces)`)
        },
      })
    } finally {
      // After every worker has drained: none of them still needs it.
      await chroma?.stop()
    }
  }

  const { startServer } = require('../../http/start_server') as typeof import('../../http/start_server')
  // Building the runner validates routes/agents.ts and every middleware name before we listen.
  const runner = app.make('agents')
  // Every route's graph is compiled now: a graph factory (Route.graph) that rejects fails the boot, not a request.
  await runner.warm()
  // Reads mcp.json: a malformed one stops the boot here, before the port is taken.
  const mcp = app.make('mcp')
  const running = await startServer({ app, runner, host, port })
  startMcpServers(app, mcp)
  if (cluster.isPrimary) output.success(`Server ready at ${running.address.url}`)
  if (cluster.isPrimary && playgroundSettings(app).enabled) output.info(`Playground at ${running.address.url}/_langvel`)
  await running.stopped
  if (cluster.isWorker) cluster.worker?.disconnect()
  // Should a library leave a handle open, the process still ends once shut down.
  setTimeout(() => process.exit(process.exitCode ?? 0), 3000).unref()
  return 0
}

/**
 * Starts the MCP servers with the application, beside the listening server
 * rather than before it: a slow server does not hold the boot, a request that
 * needs one waits for its start, and /health/ready answers 503 until the
 * required ones are ready.
 */
function startMcpServers(app: Application, mcp: McpManager): void {
  if (mcp.names().length === 0) return
  void mcp.start().then(() => {
    for (const report of mcp.reports()) {
      if (report.status === 'ready' || report.status === 'stopped') continue
      const log = report.required ? app.logger.error.bind(app.logger) : app.logger.warn.bind(app.logger)
      log(`MCP server "${report.name}" did not start: ${report.error?.message ?? report.status}`, { server: report.name, required: report.required })
    }
  })
}

function parseInteger(flag: string, value: string, min: number, max: number): number {
  const number = Number(value)
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new E_INVALID_CONFIG([`${flag}=${JSON.stringify(value)}: expected an integer between ${min} and ${max}`])
  }
  return number
}

export default serve
