import { E_RUNTIME } from '../errors'

/** Calls the rest of the stack; resolves with what the inner layers returned. */
export type Next<R> = () => Promise<R>

/** A middleware as a plain function (Hono/Koa style). */
export type MiddlewareFunction<Ctx, R> = (ctx: Ctx, next: Next<R>) => R | Promise<R>

/** A named middleware object (Laravel style); the name appears in errors and logs. */
export interface MiddlewareHandler<Ctx, R> {
  readonly name?: string
  handle(ctx: Ctx, next: Next<R>): R | Promise<R>
}

export type Pipe<Ctx, R> = MiddlewareFunction<Ctx, R> | MiddlewareHandler<Ctx, R>

export type Destination<Ctx, R> = (ctx: Ctx) => R | Promise<R>

function pipeName(pipe: Pipe<unknown, unknown>, index: number): string {
  if (typeof pipe === 'function') return pipe.name || `#${index}`
  return pipe.name ?? `#${index}`
}

/**
 * Sends a context through a stack of onion middleware to a destination:
 * each layer may act before and after `next()`, replace the result, or stop
 * the chain by not calling `next()` at all. Generic, so HTTP and agent
 * middleware share one implementation.
 *
 * @example
 * const result = await new Pipeline<{ user?: string }, string>()
 *   .send({})
 *   .through([
 *     async (ctx, next) => { ctx.user = 'ada'; return next() },
 *     { name: 'upper', handle: async (_ctx, next) => (await next()).toUpperCase() },
 *   ])
 *   .then((ctx) => `hello ${ctx.user}`)
 * // 'HELLO ADA'
 */
export class Pipeline<Ctx, R = unknown> {
  private passable?: { value: Ctx }
  private pipes: Array<Pipe<Ctx, R>> = []

  /** The context every layer and the destination receive. */
  send(ctx: Ctx): this {
    this.passable = { value: ctx }
    return this
  }

  /** The middleware stack, outermost first. Replaces any previous stack. */
  through(pipes: ReadonlyArray<Pipe<Ctx, R>>): this {
    this.pipes = [...pipes]
    return this
  }

  /** Appends one more (innermost) layer. */
  pipe(pipe: Pipe<Ctx, R>): this {
    this.pipes.push(pipe)
    return this
  }

  /** Runs the stack around `destination`. */
  then(destination: Destination<Ctx, R>): Promise<R> {
    if (!this.passable) return Promise.reject(new E_RUNTIME('Pipeline.then() called before send()'))
    return Pipeline.compose(this.pipes, destination)(this.passable.value)
  }

  /**
   * Builds a reusable runner from a stack, so a hot path can compose once
   * and call it per request.
   */
  static compose<Ctx, R>(pipes: ReadonlyArray<Pipe<Ctx, R>>, destination: Destination<Ctx, R>): (ctx: Ctx) => Promise<R> {
    const stack = [...pipes]
    return (ctx: Ctx) => {
      const dispatch = async (index: number): Promise<R> => {
        if (index === stack.length) return destination(ctx)
        const pipe = stack[index]
        let called = false
        // A second call would re-run every inner layer (and the agent) behind the caller's back.
        const next: Next<R> = () => {
          if (called) {
            const name = pipeName(pipe as Pipe<unknown, unknown>, index)
            return Promise.reject(new E_RUNTIME(`next() called more than once in middleware "${name}"`, { details: { middleware: name, reason: 'next_called_twice' } }))
          }
          called = true
          return dispatch(index + 1)
        }
        return typeof pipe === 'function' ? pipe(ctx, next) : pipe.handle(ctx, next)
      }
      return dispatch(0)
    }
  }
}
