import { E_RUNTIME } from '../errors'
import type { HttpContext } from './context'

export type Next = () => Promise<void>

/**
 * HTTP middleware: the same `handle(ctx, next)` onion as the generic
 * Pipeline. Code before `await next()` runs on the way in, code after it on
 * the way out; not calling `next()` answers the request early.
 */
export interface HttpMiddleware {
  readonly name: string
  handle(ctx: HttpContext, next: Next): unknown
}

export type Destination = (ctx: HttpContext) => unknown

/**
 * Composes middleware around a destination into one function. This is the
 * only place HTTP middleware are chained, so moving to the shared Pipeline
 * (framework/pipeline) is a change to this file alone. A middleware calling
 * `next()` twice is a bug and fails loudly rather than running a handler twice.
 *
 * @example
 * const run = compose([requestId(), cors(origins)], (ctx) => ctx.json(200, {}))
 * await run(ctx)
 */
export function compose(stack: readonly HttpMiddleware[], destination: Destination): (ctx: HttpContext) => Promise<void> {
  return (ctx) => {
    let reached = -1
    const dispatch = (index: number): Promise<void> => {
      if (index <= reached) {
        return Promise.reject(new E_RUNTIME(`next() called more than once in middleware "${stack[index - 1]?.name ?? '?'}"`))
      }
      reached = index
      try {
        if (index === stack.length) return Promise.resolve(destination(ctx)).then(() => undefined)
        const middleware = stack[index]
        return Promise.resolve(middleware.handle(ctx, () => dispatch(index + 1))).then(() => undefined)
      } catch (error) {
        return Promise.reject(error)
      }
    }
    return dispatch(0)
  }
}
