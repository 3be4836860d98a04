import { E_RUNTIME } from '../errors'
import { Route } from './route'
import { Router } from './router'

/**
 * Loads a route file into a router. The file default-exports a function;
 * it is called with the router, with the `Route` facade bound to it, so
 * both styles work:
 *
 *     export default function routes() { Route.agent('/support', SupportAgent) }
 *     export default function routes(route: Router) { route.agent('/support', SupportAgent) }
 *
 * Registering inside a function (not at the top of the module) keeps the
 * file loadable more than once: a module body runs only once per process.
 *
 * @example
 * const router = loadRoutes(app.codePathFor('routes', 'agents'))
 */
export function loadRoutes(file: string, router: Router = new Router()): Router {
  const mod = require(file) as { default?: unknown }
  const register = mod?.default
  if (typeof register !== 'function') {
    throw new E_RUNTIME(`${file} must export a function by default`, {
      help: 'Write `export default function routes() { Route.agent(...) }` in the route file.',
    })
  }
  const returned = Route.capture(router, () => (register as (router: Router) => unknown)(router))
  if (returned && typeof (returned as PromiseLike<unknown>).then === 'function') {
    // Routes registered after an await would escape the facade binding and the boot-time checks.
    throw new E_RUNTIME(`${file}: the route function must be synchronous`)
  }
  return router
}
