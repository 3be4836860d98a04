import type { AgentMiddleware } from './types'

/**
 * Validates the run input against the agent's schema (`agent.validateInput`)
 * before the graph runs, and hands the parsed input (defaults applied) on.
 * Invalid input is rejected with the agent's error (E_VALIDATION, 422).
 * Resume values and commands are not run input and pass through untouched
 * (the agent checks them).
 *
 * @example
 * Route.agent('/support', SupportAgent).middleware('validate')
 */
export function validateMiddleware(_args: string[] = []): AgentMiddleware {
  return {
    name: 'validate',
    async handle(ctx, next) {
      if (ctx.mode !== 'resume' && ctx.mode !== 'command' && ctx.mode !== 'continue' && typeof ctx.instance.validateInput === 'function') {
        const parsed = await ctx.instance.validateInput(ctx.input)
        if (parsed !== undefined) ctx.input = parsed
      }
      return next()
    },
  }
}
