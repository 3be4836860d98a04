import { randomBytes } from 'node:crypto'
import request from 'supertest'
import { Limit } from '../../../framework/rate_limiter/limit'
import { RateLimiter } from '../../../framework/rate_limiter/rate_limiter'
import { RedisManager } from '../../../framework/redis/redis_manager'
import { REDIS_URL, describeWithRedis } from '../../helpers/services'
import { makeAuthServer, type AuthServer } from '../auth/support/auth_server'

const ROUTES = {
  '/limited': ['throttle:10,1'],
  '/other': ['throttle:10,1'],
  '/per-user': ['auth', 'throttle:2,1'],
  '/named': ['auth', 'throttle:http-test-agents'],
  '/defaults': ['throttle'],
  '/open': [],
  '/two': ['throttle:http-test-two'],
  '/burst': ['throttle:http-test-burst'],
  // The same limiters with only their wide limit: its X-RateLimit-Remaining shows what the wide counter holds.
  '/two-wide': ['throttle:http-test-two'],
  '/burst-wide': ['throttle:http-test-burst'],
}

type Response = Awaited<ReturnType<ReturnType<typeof request>['post']>>

/** 200 requests at once over real sockets against one route. */
async function burst(url: string, path: string, count: number, headers: Record<string, string> = {}): Promise<Response[]> {
  return Promise.all(
    Array.from({ length: count }, () => {
      let req = request(url).post(`/agents${path}`)
      for (const [name, value] of Object.entries(headers)) req = req.set(name, value)
      return req.send({ input: {} })
    }),
  )
}

const statuses = (responses: Response[]) => responses.reduce<Record<number, number>>((counts, res) => ({ ...counts, [res.status]: (counts[res.status] ?? 0) + 1 }), {})

beforeAll(() => {
  RateLimiter.for('http-test-agents', (ctx) => Limit.perMinute(3).by(ctx.user?.id ?? ctx.ip))
  RateLimiter.for('http-test-two', (ctx) => (ctx.route === '/two-wide' ? [Limit.perMinute(100)] : [Limit.perMinute(100), Limit.perMinute(2)]))
  RateLimiter.for('http-test-burst', (ctx) => (ctx.route === '/burst-wide' ? [Limit.perMinute(100)] : [Limit.perMinute(100), Limit.perMinute(10)]))
})
afterAll(() => {
  for (const name of ['http-test-agents', 'http-test-two', 'http-test-burst']) RateLimiter.forget(name)
})

/**
 * A named limiter with several limits: a refused request must consume
 * nothing from any of them, one after another and under concurrency.
 */
function multiLimitSuite(url: () => string) {
  it('counts a request refused by one limit of a named limiter on none of its limits', async () => {
    const responses: Response[] = []
    for (let i = 0; i < 10; i++) responses.push(await request(url()).post('/agents/two').send({ input: {} }))
    expect(statuses(responses)).toEqual({ 200: 2, 429: 8 })
    const refused = responses[9]
    expect(refused.headers['x-ratelimit-limit']).toBe('2')
    expect(refused.headers['x-ratelimit-remaining']).toBe('0')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    // The 100-limit holds the 2 counted requests, plus this one.
    const wide = await request(url()).post('/agents/two-wide').send({ input: {} }).expect(200)
    expect(wide.headers['x-ratelimit-limit']).toBe('100')
    expect(wide.headers['x-ratelimit-remaining']).toBe('97')
  })

  it('stays exact under concurrency: of 200 requests against [perMinute(100), perMinute(10)], exactly 10 pass and the 100-limit shows 10 used', async () => {
    expect(statuses(await burst(url(), '/burst', 200))).toEqual({ 200: 10, 429: 190 })
    const wide = await request(url()).post('/agents/burst-wide').send({ input: {} }).expect(200)
    expect(wide.headers['x-ratelimit-remaining']).toBe(String(100 - 10 - 1))
  })
}

describe('throttle over HTTP, memory driver', () => {
  let t: AuthServer
  let url: string

  beforeAll(async () => {
    t = await makeAuthServer(ROUTES, { RATE_LIMIT_DRIVER: 'memory', RATE_LIMIT_REQUESTS: '4', RATE_LIMIT_WINDOW: '60' })
    url = (await t.server.listen(0, '127.0.0.1')).url
  })
  afterAll(() => t.close())

  it('lets exactly 10 of 200 concurrent requests through `throttle:10,1`, and refuses the rest with 429 and Retry-After', async () => {
    const responses = await burst(url, '/limited', 200)
    expect(statuses(responses)).toEqual({ 200: 10, 429: 190 })
    for (const res of responses) {
      expect(res.headers['x-ratelimit-limit']).toBe('10')
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000)
    }
    const refused = responses.find((res) => res.status === 429) as Response
    expect(refused.body.error.code).toBe('E_TOO_MANY_REQUESTS')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60)
    // Every refused request says none is left; the admitted ones count down from 9.
    expect(new Set(responses.filter((res) => res.status === 429).map((res) => res.headers['x-ratelimit-remaining']))).toEqual(new Set(['0']))
    expect(responses.filter((res) => res.status === 200).map((res) => Number(res.headers['x-ratelimit-remaining'])).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('keeps separate counters per route', async () => {
    expect(statuses(await burst(url, '/other', 12))).toEqual({ 200: 10, 429: 2 })
  })

  it('counts per principal when authenticated', async () => {
    const alice = t.app.make('auth').tokens.issue('alice').token
    const bob = t.app.make('auth').tokens.issue('bob').token
    expect(statuses(await burst(url, '/per-user', 3, { Authorization: `Bearer ${alice}` }))).toEqual({ 200: 2, 429: 1 })
    expect(statuses(await burst(url, '/per-user', 3, { Authorization: `Bearer ${bob}` }))).toEqual({ 200: 2, 429: 1 })
  })

  it('uses a named limiter declared with RateLimiter.for', async () => {
    const carol = t.app.make('auth').tokens.issue('carol').token
    const res = await burst(url, '/named', 5, { Authorization: `Bearer ${carol}` })
    expect(statuses(res)).toEqual({ 200: 3, 429: 2 })
    expect(res[0].headers['x-ratelimit-limit']).toBe('3')
  })

  it('takes RATE_LIMIT_REQUESTS and RATE_LIMIT_WINDOW for `throttle` without arguments', async () => {
    const res = await burst(url, '/defaults', 6)
    expect(statuses(res)).toEqual({ 200: 4, 429: 2 })
    expect(res[0].headers['x-ratelimit-limit']).toBe('4')
  })

  multiLimitSuite(() => url)

  it('leaves routes without throttle alone', async () => {
    const res = await request(url).post('/agents/open').send({ input: {} }).expect(200)
    expect(res.headers['x-ratelimit-limit']).toBeUndefined()
  })

  it('refuses unknown limiter names and bad arguments when the routes are built', async () => {
    await expect(makeAuthServer({ '/x': ['throttle:no-such-limiter'] })).rejects.toMatchObject({ code: 'E_INVALID_CONFIG' })
    await expect(makeAuthServer({ '/x': ['throttle:0,1'] })).rejects.toMatchObject({ code: 'E_INVALID_CONFIG' })
    await expect(makeAuthServer({ '/x': ['throttle:10,abc'] })).rejects.toMatchObject({ code: 'E_INVALID_CONFIG' })
  })
})

describeWithRedis('throttle over HTTP, Redis driver', () => {
  const prefix = `test:throttle:${randomBytes(4).toString('hex')}:`
  const env = { RATE_LIMIT_DRIVER: 'redis', REDIS_URL, REDIS_PREFIX: prefix }
  let first: AuthServer
  let second: AuthServer
  let firstUrl: string
  let secondUrl: string

  beforeAll(async () => {
    first = await makeAuthServer(ROUTES, env)
    second = await makeAuthServer(ROUTES, env)
    firstUrl = (await first.server.listen(0, '127.0.0.1')).url
    secondUrl = (await second.server.listen(0, '127.0.0.1')).url
  })
  afterAll(async () => {
    await first.close()
    await second.close()
    const redis = new RedisManager({ url: REDIS_URL, prefix })
    const keys = await redis.connection().keys(`${prefix}*`)
    if (keys.length > 0) await redis.connection().del(...keys)
    await redis.close()
  })

  it('lets exactly 10 of 200 concurrent requests through', async () => {
    expect(statuses(await burst(firstUrl, '/limited', 200))).toEqual({ 200: 10, 429: 190 })
  })

  it('enforces one limit across two servers with their own Redis connections', async () => {
    const responses = (await Promise.all([burst(firstUrl, '/other', 15), burst(secondUrl, '/other', 15)])).flat()
    expect(statuses(responses)).toEqual({ 200: 10, 429: 20 })
  })

  multiLimitSuite(() => firstUrl)

  it('keeps a counter key only as long as its window', async () => {
    const redis = first.app.make('redis').connection()
    const keys = await redis.keys(`${prefix}rate_limit:/limited:*`)
    expect(keys).toHaveLength(1)
    const ttl = await redis.pttl(keys[0])
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })
})

describe('throttle over HTTP when Redis is unreachable', () => {
  const unreachable = { RATE_LIMIT_DRIVER: 'redis', REDIS_URL: 'redis://127.0.0.1:1' }

  it('fails open: requests go through without rate limit headers, and /health reports the limiter degraded', async () => {
    const t = await makeAuthServer(ROUTES, { ...unreachable, RATE_LIMIT_FAIL_OPEN: 'true' })
    try {
      const http = request(t.server.express)
      const res = await http.post('/agents/limited').send({ input: {} }).expect(200)
      expect(res.headers['x-ratelimit-limit']).toBeUndefined()
      const health = await http.get('/health')
      expect(health.body.status).toBe('degraded')
      expect(health.body.checks.rate_limiter).toMatchObject({ status: 'down', required: false })
    } finally {
      await t.close()
    }
  })

  it('fails closed: 503 E_SERVICE_UNAVAILABLE with Retry-After, and /health is down', async () => {
    const t = await makeAuthServer(ROUTES, { ...unreachable, RATE_LIMIT_FAIL_OPEN: 'false' })
    try {
      const http = request(t.server.express)
      const res = await http.post('/agents/limited').send({ input: {} }).expect(503)
      expect(res.body.error.code).toBe('E_SERVICE_UNAVAILABLE')
      expect(res.headers['retry-after']).toBe('1')
      expect((await http.get('/health')).status).toBe(503)
    } finally {
      await t.close()
    }
  })
})
