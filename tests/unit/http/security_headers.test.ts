import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import helmet from 'helmet'
import winston from 'winston'
import { HttpContext } from '../../../framework/http/context'
import { recordHeaders, securityHeaders } from '../../../framework/http/middleware/security_headers'
import { createLogger } from '../../../framework/logger'

type Helmet = Parameters<typeof recordHeaders>[0]

function response(): { req: IncomingMessage; res: ServerResponse; ctx: HttpContext } {
  const req = new IncomingMessage(new Socket())
  req.method = 'GET'
  req.url = '/health/live'
  const res = new ServerResponse(req)
  const logger = createLogger({ name: 'test', transports: [new winston.transports.Console({ silent: true })] })
  return { req, res, ctx: new HttpContext(req, res, logger) }
}

describe('securityHeaders', () => {
  it('sets exactly the headers helmet itself sets on a response, and removes X-Powered-By', async () => {
    const helmetOnly = response()
    helmetOnly.res.setHeader('X-Powered-By', 'Express')
    const apply = helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      frameguard: { action: 'deny' },
    }) as unknown as Helmet
    apply(helmetOnly.req, helmetOnly.res, () => undefined)

    const ours = response()
    ours.res.setHeader('X-Powered-By', 'Express')
    let nextCalled = false
    await securityHeaders().handle(ours.ctx, async () => {
      nextCalled = true
    })

    expect(nextCalled).toBe(true)
    expect(ours.res.getHeaders()).toEqual(helmetOnly.res.getHeaders())
    expect(ours.res.getHeader('x-powered-by')).toBeUndefined()
    expect(ours.res.getHeader('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'")
    expect(ours.res.getHeader('x-frame-options')).toBe('DENY')
  })
})

describe('recordHeaders', () => {
  it('records the headers of a helmet configuration made of literal values', () => {
    const plan = recordHeaders(helmet({ contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'self'"] } } }) as unknown as Helmet)
    expect(plan?.set).toContainEqual(['Content-Security-Policy', "default-src 'self'"])
    expect(plan?.set).toContainEqual(['X-Content-Type-Options', 'nosniff'])
    expect(plan?.remove).toEqual(['X-Powered-By'])
  })

  it('refuses to record a directive that reads the request or the response (a per-request nonce)', () => {
    const readsRes = helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], scriptSrc: ["'self'", (_req, res) => `'nonce-${(res as unknown as { locals: { nonce: string } }).locals.nonce}'`] },
      },
    }) as unknown as Helmet
    expect(recordHeaders(readsRes)).toBeUndefined()
  })

  it('refuses when the middleware fails, throws or does not call next', () => {
    expect(recordHeaders((_req, _res, next) => next(new Error('bad directive')))).toBeUndefined()
    expect(
      recordHeaders(() => {
        throw new Error('boom')
      }),
    ).toBeUndefined()
    expect(recordHeaders(() => undefined)).toBeUndefined()
  })

  it('records a non-string header value as not static', () => {
    expect(recordHeaders((_req, res, next) => (res.setHeader('X-Number', 1), next()))).toBeUndefined()
  })
})
