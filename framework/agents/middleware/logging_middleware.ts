import type { RunResult, StreamEvent } from '../../contracts/agent_run'
import { E_INVALID_CONFIG, isException } from '../../errors'
import type { Logger, LogLevel } from '../../logger'
import type { AgentMiddleware, AgentMiddlewareContext } from './types'
import { isStreamOutcome } from './types'

const LEVELS: LogLevel[] = ['error', 'warn', 'info', 'http', 'verbose', 'debug']

/**
 * The shape of the input, never its values: user input may hold personal
 * data or secrets the key-based redaction cannot recognise.
 */
function inputShape(input: unknown): Record<string, unknown> {
  if (input === null || input === undefined) return { inputType: String(input) }
  if (Array.isArray(input)) return { inputType: 'array', inputLength: input.length }
  if (typeof input === 'object') return { inputType: 'object', inputKeys: Object.keys(input).slice(0, 50) }
  if (typeof input === 'string') return { inputType: 'string', inputLength: input.length }
  return { inputType: typeof input }
}

function failure(log: Logger, error: unknown, durationMs: number): void {
  const clientError = isException(error) && error.status < 500
  const code = (error as { code?: unknown })?.code
  const meta = { durationMs, code, error: error instanceof Error ? error : { message: String(error) } }
  if (clientError) log.warn('agent run rejected', meta)
  else log.error('agent run failed', meta)
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100
}

async function* observeStream(events: AsyncIterable<StreamEvent>, log: Logger, level: LogLevel, started: number): AsyncGenerator<StreamEvent> {
  let count = 0
  let ended = false
  try {
    for await (const event of events) {
      count++
      yield event
    }
    ended = true
    log.log(level, 'agent run finished', { durationMs: elapsed(started), events: count })
  } catch (error) {
    ended = true
    failure(log, error, elapsed(started))
    throw error
  } finally {
    // The consumer stopped iterating (client disconnected, CLI interrupted).
    if (!ended) log.log(level, 'agent stream closed early', { durationMs: elapsed(started), events: count })
  }
}

/**
 * Logs each run: start (mode, thread, the input's keys only), finish with
 * duration (and interrupts or event count), and failures with their code.
 * Client errors (4xx) are warnings, everything else an error.
 *
 * Usage: `'logging'`, or `'logging:debug'` to log start/finish at debug.
 *
 * @example
 * class SupportAgent extends Agent {
 *   middleware = ['logging', 'validate']
 * }
 */
export function loggingMiddleware(args: string[] = []): AgentMiddleware {
  const level = (args[0] || 'info') as LogLevel
  if (!LEVELS.includes(level)) {
    throw new E_INVALID_CONFIG([`middleware "logging": unknown level "${args[0]}" (use ${LEVELS.join(', ')})`], {
      help: 'Fix the middleware reference, e.g. "logging:debug".',
    })
  }
  return {
    name: 'logging',
    async handle(ctx: AgentMiddlewareContext, next) {
      const log = ctx.logger
      const started = performance.now()
      log.log(level, 'agent run started', { mode: ctx.mode, streaming: ctx.streaming, ...inputShape(ctx.input) })
      let outcome
      try {
        outcome = await next()
      } catch (error) {
        failure(log, error, elapsed(started))
        throw error
      }
      if (isStreamOutcome(outcome)) return observeStream(outcome, log, level, started)
      const result = outcome as RunResult
      log.log(level, 'agent run finished', { durationMs: elapsed(started), interrupts: result.interrupts?.length ?? 0 })
      return result
    },
  }
}
