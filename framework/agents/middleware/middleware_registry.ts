import { E_UNKNOWN_MIDDLEWARE } from '../../errors'
import { parseMiddleware } from './parse_middleware'

/**
 * Named middleware factories. Routes and agents refer to middleware by name
 * (`'auth'`, `'throttle:10,60'`); `resolve()` turns a reference into an
 * instance, and every unknown name is reported when the routes are resolved
 * at boot, not on the first request.
 *
 * Generic over the middleware type so the HTTP kernel can keep its own.
 *
 * @example
 * const registry = new MiddlewareRegistry<AgentMiddleware>()
 *   .register('logging', loggingMiddleware)
 *   .register('throttle', ([max, seconds]) => throttle(Number(max), Number(seconds)))
 * registry.resolve('throttle:10,60')
 */
export class MiddlewareRegistry<M> {
  private readonly factories = new Map<string, (args: string[]) => M>()

  /** Adds (or replaces, for an app overriding a built-in) a named factory. */
  register(name: string, factory: (args: string[]) => M): this {
    const parsed = parseMiddleware(name)
    if (parsed.args.length > 0 || parsed.name !== name) {
      throw new E_UNKNOWN_MIDDLEWARE(name, this.names(), { details: { reason: 'a registered name cannot carry arguments' } })
    }
    this.factories.set(name, factory)
    return this
  }

  has(name: string): boolean {
    return this.factories.has(name)
  }

  names(): string[] {
    return [...this.factories.keys()].sort()
  }

  /** Builds the middleware a reference names. Throws E_UNKNOWN_MIDDLEWARE for an unknown name. */
  resolve(spec: string): M {
    const { name, args } = parseMiddleware(spec)
    const factory = this.factories.get(name)
    if (!factory) throw new E_UNKNOWN_MIDDLEWARE(name, this.names(), { details: { spec } })
    return factory(args)
  }

  resolveAll(specs: readonly string[]): M[] {
    this.assertKnown(specs)
    return specs.map((spec) => this.resolve(spec))
  }

  /** Checks names only (no factory runs); throws for the first unknown one. */
  assertKnown(specs: readonly string[]): void {
    for (const spec of specs) {
      const { name } = parseMiddleware(spec)
      if (!this.factories.has(name)) throw new E_UNKNOWN_MIDDLEWARE(name, this.names(), { details: { spec } })
    }
  }
}
