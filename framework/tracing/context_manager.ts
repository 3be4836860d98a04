import { AsyncLocalStorage } from 'node:async_hooks'
import { context, ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api'

/**
 * OpenTelemetry's context on Node's AsyncLocalStorage: the span made active
 * with `context.with()` stays current across awaits, timers and callbacks
 * started inside, so a model call inside a node becomes its child without
 * passing contexts by hand.
 *
 * @example
 * context.setGlobalContextManager(new AsyncLocalContextManager().enable())
 */
export class AsyncLocalContextManager implements ContextManager {
  private storage = new AsyncLocalStorage<Context>()

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const call = thisArg === undefined ? fn : fn.bind(thisArg)
    return this.storage.run(context, call as never, ...args) as ReturnType<F>
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const manager = this
    const bound = function (this: unknown, ...args: unknown[]) {
      return manager.with(context, () => (target as (...a: unknown[]) => unknown).apply(this, args))
    }
    return bound as T
  }

  enable(): this {
    return this
  }

  disable(): this {
    this.storage.disable()
    this.storage = new AsyncLocalStorage<Context>()
    return this
  }
}

let installed = false

/**
 * Makes OpenTelemetry's context follow async flows, once per process. When
 * the application (or a library) registered a context manager first, that
 * one is kept.
 */
export function ensureContextManager(): void {
  if (installed) return
  installed = true
  context.setGlobalContextManager(new AsyncLocalContextManager().enable())
}
