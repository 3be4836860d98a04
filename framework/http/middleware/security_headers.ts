import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet from 'helmet'
import type { HttpMiddleware } from '../compose'

type Helmet = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void

/** What helmet did to a response: headers set, headers removed. */
interface HeaderPlan {
  set: Array<[string, string]>
  remove: string[]
}

/**
 * helmet's security headers, with a Content-Security-Policy for an API that
 * serves no pages (nothing may load, nothing may frame it). helmet is built
 * once. Its headers do not depend on the request with this configuration, so
 * helmet is run once at start against a recorder and every response gets the
 * recorded headers; if helmet ever does anything else with a request (a
 * future version, a per-request directive), it simply runs per request.
 *
 * @example
 * kernel.use(securityHeaders())
 */
export function securityHeaders(): HttpMiddleware {
  const apply = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    // The same answer as frame-ancestors 'none' for browsers that only know X-Frame-Options.
    frameguard: { action: 'deny' },
  }) as unknown as Helmet
  const plan = recordHeaders(apply)
  // Recorded twice and compared: a directive computed per call (a nonce) shows up as a difference.
  if (plan && JSON.stringify(plan) === JSON.stringify(recordHeaders(apply))) {
    const { set, remove } = plan
    return {
      name: 'security_headers',
      handle(ctx, next) {
        const res = ctx.res
        for (const [name, value] of set) res.setHeader(name, value)
        for (const name of remove) res.removeHeader(name)
        return next()
      },
    }
  }
  return {
    name: 'security_headers',
    handle(ctx, next) {
      let failure: unknown
      // helmet calls back synchronously; no promise is needed to wait for it.
      apply(ctx.req, ctx.res, (error) => {
        failure = error
      })
      if (failure) throw failure
      return next()
    },
  }
}

/**
 * Runs helmet against a request that has nothing and a response that only
 * records `setHeader` / `removeHeader`. Undefined when helmet touched anything
 * else, did not call `next` synchronously, or failed: its answer may then
 * depend on the request.
 */
export function recordHeaders(apply: Helmet): HeaderPlan | undefined {
  const plan: HeaderPlan = { set: [], remove: [] }
  let static_ = true
  const recorder = {
    setHeader(name: string, value: unknown) {
      if (typeof value === 'string') plan.set.push([name, value])
      else static_ = false
    },
    removeHeader(name: string) {
      plan.remove.push(name)
    },
  }
  const untouched = (target: object) =>
    new Proxy(target, {
      get(object, key) {
        if (Object.hasOwn(object, key)) return (object as Record<PropertyKey, unknown>)[key]
        static_ = false
        return undefined
      },
    })
  let finished = false
  try {
    apply(untouched({}) as IncomingMessage, untouched(recorder) as unknown as ServerResponse, (error) => {
      finished = error === undefined
    })
  } catch {
    return undefined
  }
  return finished && static_ ? plan : undefined
}
