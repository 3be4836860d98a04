import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import helmet from 'helmet'
import winston from 'winston'
import { HttpContext } from '../../../framework/http/context'
import { securityHeaders } from '../../../framework/http/middleware/security_headers'
import { createLogger } from '../../../framework/logger'

type Helmet = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void

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
