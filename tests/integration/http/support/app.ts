import Transport from 'winston-transport'
import { Application } from '../../../../framework/foundation/application'
import { defaultProviders } from '../../../../framework/foundation/providers'
import { createLogger, type Logger } from '../../../../framework/logger'
import { createServer, type HttpServer, type ServerOptions } from '../../../../framework/http/server'
import { GraphRunner, type GraphRunnerOptions } from './graph_runner'

/** Collects log records in memory so tests can read what was logged. */
export class CaptureTransport extends Transport {
  readonly records: Array<Record<string, unknown>> = []

  override log(info: Record<string, unknown>, callback: () => void): void {
    this.records.push(info)
    callback()
  }
}

export interface TestServer {
  app: Application
  server: HttpServer
  runner: GraphRunner
  logs: CaptureTransport
  close(): Promise<void>
}

/** A booted application (embedded defaults plus `env`) and a server over the graph runner. */
export async function makeTestServer(
  env: Record<string, string> = {},
  options: Partial<Omit<ServerOptions, 'app' | 'runner'>> & { runner?: GraphRunnerOptions | ((app: Application) => GraphRunnerOptions); ready?: boolean } = {},
): Promise<TestServer> {
  const logs = new CaptureTransport()
  const logger: Logger = createLogger({ level: 'debug', transports: [logs] })
  const app = Application.create({
    env: { ...process.env, APP_ENV: 'test', LOG_LEVEL: 'error', ...env },
    loadDotenv: false,
    providers: defaultProviders(),
    logger,
  })
  await app.boot()
  const runnerOptions = typeof options.runner === 'function' ? options.runner(app) : options.runner
  const runner = new GraphRunner({ defaultTimeoutSeconds: app.config.get('server').agentTimeoutSeconds, ...runnerOptions })
  const { runner: _runnerOptions, ready = true, ...serverOptions } = options
  // The database and checkpointer checks are opted into by the tests about them, so no test touches the default SQLite files.
  let server: HttpServer
  try {
    server = createServer({ app, runner, heartbeatSeconds: 1, abortGraceMs: 2000, ...serverOptions, health: { database: 'off', checkpointer: 'off', ...serverOptions.health } })
  } catch (error) {
    await app.shutdown()
    throw error
  }
  if (ready) server.markReady()
  return {
    app,
    server,
    runner,
    logs,
    async close() {
      await server.shutdown(1)
      await app.shutdown()
    },
  }
}
