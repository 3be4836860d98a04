import type { Readable, Writable } from 'node:stream'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import type { AgentRunner } from '../../contracts/agent_run'
import type { RequestContext } from '../../contracts/request_context'
import { ExceptionHandler } from '../../http/exception_handler'
import type { Logger } from '../../logger'
import { createAgentMcpServer } from './agent_mcp_server'
import { AgentToolCatalog } from './agent_tools'
import { LocalCallHost } from './call_host'

export interface StdioServeOptions {
  runner: AgentRunner
  /** The context of every run (`cliContext` of the agent commands: the local operator). */
  context: () => RequestContext
  logger: Logger
  /** DEBUG: internal error messages reach the client, as over HTTP. */
  debug: boolean
  info: { name: string; version: string }
  stdin?: Readable
  stdout?: Writable
  /** Close on SIGTERM and SIGINT (a second signal ends the process as Node does). On by default. */
  handleSignals?: boolean
}

export interface StdioSession {
  /** Resolves once the session is over: stdin ended, a signal came, or `close()` was called. */
  closed: Promise<void>
  /** Ends the session; calls still running are cancelled. */
  close(): Promise<void>
}

/**
 * Serves the agent routes as MCP tools over stdin and stdout, for clients
 * that start the server themselves (editors, desktop apps). stdout carries
 * the protocol and nothing else: log lines go to stderr, as every log line
 * does. The session ends when the client closes stdin or on SIGTERM/SIGINT;
 * closing it cancels the calls still running.
 *
 * @example
 * const session = await serveStdio({ runner, context: cliContext, logger, debug: false, info })
 * await session.closed
 */
export async function serveStdio(options: StdioServeOptions): Promise<StdioSession> {
  const { runner, logger, handleSignals = true } = options
  const stdin = options.stdin ?? process.stdin
  const host = new LocalCallHost({ context: options.context, exceptionHandler: new ExceptionHandler({ logger, debug: options.debug }), logger })
  const server = createAgentMcpServer({ runner, catalog: new AgentToolCatalog(runner.routes()), host, info: options.info })
  const transport = new StdioServerTransport(stdin, options.stdout ?? process.stdout)

  let ended: () => void = () => undefined
  const closed = new Promise<void>((resolve) => (ended = resolve))
  let reason = 'closed'
  const close = async (): Promise<void> => {
    await server.close()
    await closed
  }
  const onEnd = () => {
    reason = 'stdin closed'
    void close()
  }
  const onSignal = (signal: NodeJS.Signals) => {
    reason = signal
    void close()
  }
  server.onclose = () => {
    stdin.off('end', onEnd)
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
    logger.info('MCP stdio session ended', { reason })
    ended()
  }
  server.onerror = (error) => logger.warn('MCP stdio transport error', { error })

  stdin.once('end', onEnd)
  if (handleSignals) {
    process.once('SIGTERM', onSignal)
    process.once('SIGINT', onSignal)
  }
  await server.connect(transport)
  logger.info('MCP stdio session started', { routes: runner.routes().length })
  return { closed, close }
}
