import type { AgentMiddleware } from '../../framework/agents/middleware'
import { E_INVALID_CONFIG, E_PAYLOAD_TOO_LARGE } from '../../framework/errors'

/**
 * MaxInputMiddleware: refuses a run whose input, serialized as JSON, is
 * larger than the given number of bytes, before any model tokens are spent.
 * HTTP already caps request bodies; this also covers the CLI and lets one
 * route be stricter than the server.
 *
 * Usage: `Route.agent('/support', SupportAgent).middleware('max_input:4096')`
 */
export function maxInputMiddleware(args: string[] = []): AgentMiddleware {
  const limit = Number(args[0])
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new E_INVALID_CONFIG([`middleware "max_input": expected a positive byte count, got ${JSON.stringify(args[0] ?? '')}`], {
      help: 'Write it as "max_input:4096".',
    })
  }
  return {
    name: 'max_input',
    async handle(ctx, next) {
      const size = Buffer.byteLength(JSON.stringify(ctx.input ?? null))
      if (size > limit) throw new E_PAYLOAD_TOO_LARGE(limit, { details: { size, limit } })
      return next()
    },
  }
}

export default maxInputMiddleware
