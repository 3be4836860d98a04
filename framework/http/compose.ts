import { Pipeline, type MiddlewareHandler } from '../pipeline/pipeline'
import type { HttpContext } from './context'

export type Next = () => Promise<void>

/**
 * HTTP middleware: the shared Pipeline's `handle(ctx, next)` onion over an
 * HttpContext. Code before `await next()` runs on the way in, code after it
 * on the way out; not calling `next()` answers the request early.
 */
export interface HttpMiddleware extends MiddlewareHandler<HttpContext, void> {
  readonly name: string
}

export type Destination = (ctx: HttpContext) => void | Promise<void>

/** Builds a named HTTP middleware from the arguments after the colon: `throttle:60,1` -> `['60', '1']`. */
export type MiddlewareFactory = (args: string[]) => HttpMiddleware

/**
 * Composes middleware around a destination once, at startup, into a function
 * called per request. The shared Pipeline does the chaining (and refuses a
 * second `next()`), so HTTP and agent middleware behave the same way.
 *
 * @example
 * const run = compose([requestId(), cors({ origins })], (ctx) => ctx.json(200, {}))
 * await run(ctx)
 */
export function compose(stack: readonly HttpMiddleware[], destination: Destination): (ctx: HttpContext) => Promise<void> {
  return Pipeline.compose<HttpContext, void>(stack, destination)
}
