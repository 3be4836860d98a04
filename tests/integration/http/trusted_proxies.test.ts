import { randomBytes } from 'node:crypto'
import request from 'supertest'
import { authenticate } from '../../../framework/auth/http/authenticate'
import { makeTestServer, type TestServer } from './support/app'

/**
 * TRUSTED_PROXIES decides when X-Forwarded-For and X-Forwarded-Proto are
 * believed. Supertest connects from 127.0.0.1, so "127.0.0.1" in the list makes
 * the test client a trusted proxy and an empty list makes it an untrusted one.
 */
async function serverTrusting(trustedProxies: string): Promise<{ t: TestServer; http: ReturnType<typeof request> }> {
  const t = await makeTestServer(
    { TRUSTED_PROXIES: trustedProxies, RATE_LIMIT_DRIVER: 'memory', JWT_SECRET_KEY: randomBytes(48).toString('base64url') },
    { runner: { echoMiddleware: ['throttle:1,1'] } },
  )
  // What the kernel's context saw, for the cases no existing route shows.
  t.server.kernel.route('GET', '/test/client', (ctx) => ctx.json(200, { ip: ctx.ip, protocol: ctx.protocol, runIp: ctx.requestContext().ip }))
  t.server.kernel.route('GET', '/test/auth', (ctx) => ctx.json(200, {}), [authenticate(t.app.make('auth'))])
  return { t, http: request(t.server.express) }
}

const run = (http: ReturnType<typeof request>, forwardedFor: string) =>
  http.post('/agents/echo').set('X-Forwarded-For', forwardedFor).send({ input: { query: 'hi' } })

function accessLine(t: TestServer, requestId: string): Record<string, unknown> | undefined {
  return t.logs.records.find((record) => record.message === 'request' && record.requestId === requestId)
}

describe('behind a trusted proxy (TRUSTED_PROXIES=127.0.0.1)', () => {
  let t: TestServer
  let http: ReturnType<typeof request>
  beforeAll(async () => ({ t, http } = await serverTrusting('127.0.0.1')))
  afterAll(() => t.close())

  it('takes the client IP and scheme from the forwarded headers, for the request and for runs', async () => {
    const res = await http.get('/test/client').set('X-Forwarded-For', '203.0.113.7').set('X-Forwarded-Proto', 'https').expect(200)
    expect(res.body).toEqual({ ip: '203.0.113.7', protocol: 'https', runIp: '203.0.113.7' })
  })

  it('skips every trusted hop: the client is the nearest address not in the list', async () => {
    const res = await http.get('/test/client').set('X-Forwarded-For', '198.51.100.1, 203.0.113.7, 127.0.0.1').expect(200)
    expect(res.body.ip).toBe('203.0.113.7')
  })

  it('records the forwarded IP in the access log', async () => {
    await http.get('/health/live').set('X-Request-Id', 'trusted-access-log').set('X-Forwarded-For', '203.0.113.8').expect(200)
    expect(accessLine(t, 'trusted-access-log')?.ip).toBe('203.0.113.8')
  })

  it('gives two forwarded IPs separate throttle budgets', async () => {
    await run(http, '203.0.113.10').expect(200)
    await run(http, '203.0.113.10').expect(429)
    await run(http, '203.0.113.11').expect(200)
  })

  it('shows the forwarded IP in the authentication failure log', async () => {
    await http.get('/test/auth').set('X-Request-Id', 'trusted-auth-log').set('X-Forwarded-For', '203.0.113.12').expect(401)
    const line = t.logs.records.find((record) => record.message === 'authentication failed' && record.requestId === 'trusted-auth-log')
    expect(line?.ip).toBe('203.0.113.12')
  })
})

describe('with no trusted proxy (TRUSTED_PROXIES empty)', () => {
  let t: TestServer
  let http: ReturnType<typeof request>
  beforeAll(async () => ({ t, http } = await serverTrusting('')))
  afterAll(() => t.close())

  it('ignores a forged X-Forwarded-For and X-Forwarded-Proto: the client is the peer', async () => {
    const res = await http.get('/test/client').set('X-Forwarded-For', '203.0.113.7').set('X-Forwarded-Proto', 'https').expect(200)
    expect(res.body.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/)
    expect(res.body).toEqual({ ip: res.body.ip, protocol: 'http', runIp: res.body.ip })
  })

  it('records the peer, not the forged address, in the access log', async () => {
    await http.get('/health/live').set('X-Request-Id', 'untrusted-access-log').set('X-Forwarded-For', '203.0.113.8').expect(200)
    expect(accessLine(t, 'untrusted-access-log')?.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/)
  })

  it('counts requests with different forged addresses on one throttle budget', async () => {
    await run(http, '203.0.113.20').expect(200)
    await run(http, '203.0.113.21').expect(429)
  })
})

describe('with a hop count (TRUSTED_PROXIES=1, then 2)', () => {
  it('believes as many forwarded addresses as there are hops, counted from the peer', async () => {
    const one = await serverTrusting('1')
    const two = await serverTrusting('2')
    try {
      const chain = '198.51.100.1, 198.51.100.2, 203.0.113.7'
      expect((await one.http.get('/test/client').set('X-Forwarded-For', chain).expect(200)).body.ip).toBe('203.0.113.7')
      expect((await two.http.get('/test/client').set('X-Forwarded-For', chain).expect(200)).body.ip).toBe('198.51.100.2')
    } finally {
      await one.t.close()
      await two.t.close()
    }
  })
})
