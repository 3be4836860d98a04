import type { AgentMiddleware } from '../agents/middleware/types'
import { loggingMiddleware } from '../agents/middleware/logging_middleware'
import { validateMiddleware } from '../agents/middleware/validate_middleware'
import { clearRunMiddlewareResolver, setRunMiddlewareResolver } from '../agents/team_member_run'
import { authMiddleware } from '../auth/http/authenticate'
import { canMiddleware } from '../auth/http/authorize'
import type { Provider } from '../contracts/provider'
import { E_INVALID_CONFIG } from '../errors'
import type { Application } from '../foundation/application'
import { sourceFile } from '../foundation/paths'
import { MiddlewareRegistry, type MiddlewareDefinition } from '../pipeline/middleware_registry'
import { throttleMiddleware } from '../rate_limiter/http/throttle'
import type { HttpMiddleware } from './compose'

/** The application's middleware registry: HTTP middleware around requests, agent middleware around runs. */
export type AppMiddlewareRegistry = MiddlewareRegistry<HttpMiddleware, AgentMiddleware>

/** What `app/middleware/kernel.ts` exports as `middleware`: name -> stage and factory. */
export type AppMiddleware = Record<string, MiddlewareDefinition<HttpMiddleware, AgentMiddleware>>

declare module '../foundation/application' {
  interface ContainerBindings {
    middleware: AppMiddlewareRegistry
  }
}

/**
 * Every named middleware of the application, in one registry:
 *
 * | name | stage | from |
 * |---|---|---|
 * | `auth`, `can:<permission>` | request | framework/auth (when auth is bound) |
 * | `throttle[:<requests>,<minutes>[,<name>] \| :<limiter>]` | request | framework/rate_limiter (when a rate limiter is bound) |
 * | `logging[:<level>]`, `validate` | run | framework/agents |
 * | the application's own | as declared | `app/middleware/kernel.ts` (`export const middleware`) |
 *
 * Services are taken on first use, so a command whose routes name none of
 * them opens no store. An application entry with a built-in's name replaces it.
 *
 * @example
 * const registry = createMiddlewareRegistry(app)
 * registry.resolve(['auth', 'logging'], 'request', 'route /support') // [auth]
 */
export function createMiddlewareRegistry(app: Application): AppMiddlewareRegistry {
  const registry: AppMiddlewareRegistry = new MiddlewareRegistry<HttpMiddleware, AgentMiddleware>()
    .register('logging', { stage: 'run', create: loggingMiddleware })
    .register('validate', { stage: 'run', create: validateMiddleware })
  if (app.bound('auth')) {
    registry.register('auth', { stage: 'request', create: authMiddleware(() => app.make('auth')) })
    registry.register('can', { stage: 'request', create: canMiddleware() })
  }
  if (app.bound('rateLimiter')) registry.register('throttle', { stage: 'request', create: throttleMiddleware(() => app.make('rateLimiter')) })
  for (const [name, definition] of Object.entries(applicationMiddleware(app))) registry.register(name, definition)
  return registry
}

/** `middleware` of `app/middleware/kernel.ts` (or its build/ twin), when the file exists. */
function applicationMiddleware(app: Application): AppMiddleware {
  const file = sourceFile(app.codePathFor('app', 'middleware', 'kernel'))
  if (!file) return {}
  const declared = (require(file) as { middleware?: unknown }).middleware
  if (declared === undefined) return {}
  if (typeof declared !== 'object' || declared === null) {
    throw new E_INVALID_CONFIG([`${file}: \`middleware\` must be an object of name -> { stage, create }`])
  }
  return declared as AppMiddleware
}

type RunRegistry = MiddlewareRegistry<unknown, AgentMiddleware>
const resolvers = new WeakMap<Application, () => RunRegistry>()

export const middlewareProvider: Provider = {
  name: 'middleware',
  register(app: Application) {
    app.singleton('middleware', () => createMiddlewareRegistry(app))
  },
  boot(app: Application) {
    // Team members run their own middleware around each turn: they find it here.
    const resolve = () => app.make('middleware') as unknown as RunRegistry
    resolvers.set(app, resolve)
    setRunMiddlewareResolver(resolve)
  },
  shutdown(app: Application) {
    const resolve = resolvers.get(app)
    if (resolve) clearRunMiddlewareResolver(resolve)
  },
}
