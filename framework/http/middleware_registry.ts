import { E_UNKNOWN_MIDDLEWARE } from '../errors'
import type { HttpMiddleware } from './compose'

/** Builds a middleware from the arguments after the colon: `throttle:60,1` -> `['60', '1']`. */
export type MiddlewareFactory = (args: string[]) => HttpMiddleware

/**
 * Named HTTP middleware for agent routes, Laravel style: a route lists names
 * (`auth`, `throttle:60,1`) in AgentRouteInfo.middleware and the server
 * resolves them here once, at startup, so a typo fails the boot with
 * E_UNKNOWN_MIDDLEWARE instead of the first request. Names that the agents
 * layer runs itself (agent middleware) are declared with `delegate`, so the
 * HTTP layer knows them and skips them.
 *
 * @example
 * const registry = new MiddlewareRegistry()
 *   .register('auth', () => authenticate(guard))
 *   .register('throttle', ([max, minutes]) => throttle(Number(max), Number(minutes)))
 * registry.resolve('throttle:60,1')
 */
export interface MiddlewareRegistryOptions {
  /**
   * Treat every name not registered here as the agent runner's own (the
   * framework/agents runner resolves route middleware itself and fails its
   * boot on unknown names). Off by default: unknown names fail the server.
   */
  delegateUnknown?: boolean
}

export class MiddlewareRegistry {
  private readonly factories = new Map<string, MiddlewareFactory>()
  private readonly delegated = new Set<string>()

  constructor(private readonly options: MiddlewareRegistryOptions = {}) {}

  register(name: string, factory: MiddlewareFactory): this {
    this.factories.set(name, factory)
    return this
  }

  /** Names handled outside HTTP (by the agent runner); resolving them yields nothing. */
  delegate(...names: string[]): this {
    for (const name of names) this.delegated.add(name)
    return this
  }

  has(name: string): boolean {
    const base = parseSpec(name).name
    return this.factories.has(base) || this.delegated.has(base) || this.options.delegateUnknown === true
  }

  /** True when a factory is registered under `name` (delegation aside). */
  isRegistered(name: string): boolean {
    return this.factories.has(name)
  }

  names(): string[] {
    return [...this.factories.keys(), ...this.delegated].sort()
  }

  /** The middleware for one spec; undefined for a delegated name. Throws E_UNKNOWN_MIDDLEWARE. */
  resolve(spec: string): HttpMiddleware | undefined {
    const { name, args } = parseSpec(spec)
    if (this.delegated.has(name)) return undefined
    const factory = this.factories.get(name)
    if (!factory) {
      if (this.options.delegateUnknown) return undefined
      throw new E_UNKNOWN_MIDDLEWARE(name, this.names())
    }
    return factory(args)
  }

  resolveAll(specs: readonly string[]): HttpMiddleware[] {
    return specs.map((spec) => this.resolve(spec)).filter((middleware): middleware is HttpMiddleware => middleware !== undefined)
  }
}

function parseSpec(spec: string): { name: string; args: string[] } {
  const colon = spec.indexOf(':')
  if (colon === -1) return { name: spec.trim(), args: [] }
  return {
    name: spec.slice(0, colon).trim(),
    args: spec
      .slice(colon + 1)
      .split(',')
      .map((arg) => arg.trim())
      .filter(Boolean),
  }
}
