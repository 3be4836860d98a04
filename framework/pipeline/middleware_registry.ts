import { E_UNKNOWN_MIDDLEWARE } from '../errors'
import { parseMiddlewareSpec } from './middleware_spec'

/**
 * Where a middleware runs:
 * - `request`: around the HTTP request, before its body is read (auth, can,
 *   throttle). Runs for HTTP only: CLI runs are the trusted local operator.
 * - `run`: around the agent run, for every way a run starts (HTTP, the CLI,
 *   a resume): logging, validate, the application's own.
 */
export type MiddlewareStage = 'request' | 'run'

/**
 * A named middleware: the stage it runs in and the factory that builds it
 * from the arguments written after `:` (`throttle:60,1` -> `['60', '1']`).
 * Throw from `create` to reject bad arguments: it runs at boot.
 */
export type MiddlewareDefinition<Request = unknown, Run = unknown> =
  | { readonly stage: 'request'; create(args: string[]): Request }
  | { readonly stage: 'run'; create(args: string[]): Run }

/** Where a list of references came from, for the boot error: `route /echo`, `agent EchoAgent (route /echo)`. */
export type MiddlewareOrigin = string

/**
 * The one registry of named middleware. Route middleware, group middleware
 * and an agent class's own `middleware` list all resolve here: every name is
 * checked whatever its stage (an unknown one fails the boot, naming where it
 * was written), and each layer builds the middleware of its own stage — the
 * HTTP router the `request` ones, the agent runner the `run` ones.
 *
 * @example
 * const registry = new MiddlewareRegistry<HttpMiddleware, AgentMiddleware>()
 *   .register('auth', { stage: 'request', create: () => authenticate(guard) })
 *   .register('logging', { stage: 'run', create: loggingMiddleware })
 * registry.resolve(['auth', 'logging:debug'], 'run', 'route /support') // [logging]
 */
export class MiddlewareRegistry<Request = unknown, Run = unknown> {
  private readonly definitions = new Map<string, MiddlewareDefinition<Request, Run>>()

  /** Adds a named middleware; an entry with an existing name replaces it (an application overriding a built-in). */
  register(name: string, definition: MiddlewareDefinition<Request, Run>): this {
    const parsed = parseMiddlewareSpec(name)
    if (parsed.args.length > 0 || parsed.name !== name) {
      throw new E_UNKNOWN_MIDDLEWARE(name, this.names(), 'a registration', { details: { reason: 'a registered name cannot carry arguments' } })
    }
    if (definition?.stage !== 'request' && definition?.stage !== 'run') {
      throw new E_UNKNOWN_MIDDLEWARE(name, this.names(), 'a registration', { details: { reason: 'stage must be "request" or "run"' } })
    }
    this.definitions.set(name, definition)
    return this
  }

  has(name: string): boolean {
    return this.definitions.has(name)
  }

  names(): string[] {
    return [...this.definitions.keys()].sort()
  }

  /** The stage a registered name runs in. */
  stageOf(name: string): MiddlewareStage | undefined {
    return this.definitions.get(name)?.stage
  }

  /** Throws E_UNKNOWN_MIDDLEWARE for the first reference whose name is not registered. */
  assertKnown(specs: readonly string[], origin: MiddlewareOrigin): void {
    for (const spec of specs) {
      const { name } = parseMiddlewareSpec(spec)
      if (!this.definitions.has(name)) throw new E_UNKNOWN_MIDDLEWARE(name, this.names(), origin, { details: { spec, origin } })
    }
  }

  /** Checks every reference, then builds those of `stage`, in order. */
  resolve(specs: readonly string[], stage: 'request', origin: MiddlewareOrigin): Request[]
  resolve(specs: readonly string[], stage: 'run', origin: MiddlewareOrigin): Run[]
  resolve(specs: readonly string[], stage: MiddlewareStage, origin: MiddlewareOrigin): Array<Request | Run> {
    this.assertKnown(specs, origin)
    const built: Array<Request | Run> = []
    for (const spec of specs) {
      const { name, args } = parseMiddlewareSpec(spec)
      const definition = this.definitions.get(name) as MiddlewareDefinition<Request, Run>
      if (definition.stage === stage) built.push(definition.create(args))
    }
    return built
  }
}
