import { Writable } from 'node:stream'
import winston from 'winston'
import type { AgentMiddlewareContext } from '../../../../framework/agents/middleware'
import type { RunnableAgent } from '../../../../framework/agents/agent_pool'
import { createLogger, type Logger } from '../../../../framework/logger'

export type LogEntry = Record<string, unknown> & { level: string; message: string }

/** A real logger whose lines (after redaction) land in `entries`. */
export function capturingLogger(level: 'info' | 'debug' = 'debug'): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = []
  const stream = new Writable({
    objectMode: true,
    write(info: LogEntry, _encoding, done) {
      entries.push(info)
      done()
    },
  })
  const logger = createLogger({ name: 'test', level, transports: [new winston.transports.Stream({ stream })] })
  return { logger, entries }
}

export function middlewareContext(overrides: Partial<AgentMiddlewareContext> = {}): AgentMiddlewareContext {
  return {
    agent: 'SupportAgent',
    path: '/support',
    route: { path: '/support', agent: 'SupportAgent', middleware: [], checkpointer: 'memory', interrupts: [], tools: [] },
    mode: 'invoke',
    streaming: false,
    input: {},
    options: { threadId: 'thread-1' },
    logger: createLogger({ silent: true }),
    instance: {} as RunnableAgent,
    ...overrides,
  }
}
