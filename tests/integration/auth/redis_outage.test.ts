import request from 'supertest'
import { RedisServer } from '../../helpers/redis_server'
import { describeWithRedis } from '../../helpers/services'
import { makeAuthServer, type AuthServer } from './support/auth_server'

/**
 * The auth store and a fail-closed rate limiter on a Redis of the test's own,
 * which the test kills, freezes and starts again under a running application.
 */
describeWithRedis('an application whose auth store is on Redis, while Redis is down', () => {
  const servers: RedisServer[] = []
  const apps: AuthServer[] = []

  afterEach(async () => {
    for (const server of servers) server.resume()
    await Promise.all(apps.splice(0).map((app) => app.close()))
    await Promise.all(servers.splice(0).map((server) => server.stop()))
  })

  async function setup(commandTimeoutMs: number) {
    const redis = await RedisServer.start()
    servers.push(redis)
    const t = await makeAuthServer(
      { '/whoami': ['auth', 'throttle:1000,1'] },
      {
        AUTH_STORE: 'redis',
        REDIS_URL: redis.url,
        REDIS_COMMAND_TIMEOUT_MS: String(commandTimeoutMs),
        REDIS_RECONNECT_MAX_DELAY_MS: '50',
        RATE_LIMIT_DRIVER: 'redis',
        RATE_LIMIT_FAIL_OPEN: 'false',
      },
    )
    apps.push(t)
    const http = request(t.server.express)
    const token = t.app.make('auth').tokens.issue('alice', { permissions: ['agents.*'] }).token
    const call = (headers: Record<string, string> = { Authorization: `Bearer ${token}` }) => http.post('/agents/whoami').set(headers).send({ input: {} })
    const ready = () => http.get('/health/ready')
    return { redis, t, call, ready }
  }

  /** Asks until the answer has `status`; the last answer's status fails the test after `timeoutMs`. */
  async function eventually(ask: () => Promise<request.Response>, status: number, timeoutMs = 10_000): Promise<request.Response> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const res = await ask()
      if (res.status === status || Date.now() > deadline) {
        expect(res.status).toBe(status)
        return res
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  it('answers authenticated requests 503 E_SERVICE_UNAVAILABLE at once, is not ready, and recovers on its own when Redis returns', async () => {
    // A command timeout of a minute: only a Redis known to be down can explain a prompt answer.
    const { redis, t, call, ready } = await setup(60_000)
    const { key } = await t.app.make('auth').apiKeys.create('ci', { permissions: ['agents.*'] })
    await call().expect(200)
    await call({ 'X-API-Key': key }).expect(200)
    expect((await ready().expect(200)).body.checks).toMatchObject({ redis: { status: 'ok', required: true }, rate_limiter: { status: 'ok', required: true } })

    await redis.kill()
    // Every request of the outage, not only the first: a client that queues commands until its next
    // reconnect attempt makes each one wait longer as the outage goes on.
    const started = Date.now()
    for (let i = 0; i < 10; i++) {
      const res = await call(i % 2 === 0 ? undefined : { 'X-API-Key': key })
      expect(res.status).toBe(503)
      expect(res.body.error.code).toBe('E_SERVICE_UNAVAILABLE')
    }
    // Far below the minute one queued command would wait.
    expect(Date.now() - started).toBeLessThan(5000)
    const notReady = await ready().expect(503)
    expect(notReady.body).toMatchObject({ status: 'unavailable', checks: { redis: { status: 'down', required: true } } })
    expect(notReady.body.checks.rate_limiter).toMatchObject({ status: 'down', required: true })

    // Back on the same port, empty: the application reconnects without a restart.
    await redis.restart()
    const readyAgain = await eventually(ready, 200)
    expect(readyAgain.body.checks).toMatchObject({ redis: { status: 'ok' }, rate_limiter: { status: 'ok' } })
    const res = await call().expect(200)
    expect(res.body.output.principal).toMatchObject({ id: 'alice', type: 'user' })
    const fresh = await t.app.make('auth').apiKeys.create('after', { permissions: ['agents.*'] })
    await call({ 'X-API-Key': fresh.key }).expect(200)
  })

  it('answers 503 once the command timeout has passed when Redis stops answering, and serves again when it resumes', async () => {
    const { redis, call, ready } = await setup(300)
    await call().expect(200)

    redis.pause()
    const res = await call()
    expect(res.status).toBe(503)
    expect(res.body.error.code).toBe('E_SERVICE_UNAVAILABLE')
    const notReady = await ready().expect(503)
    expect(notReady.body.checks.redis).toMatchObject({ status: 'down', required: true })

    redis.resume()
    await eventually(ready, 200)
    await call().expect(200)
  })

  it('shuts down without waiting on a Redis that is down, dropping the API key usage it could not write', async () => {
    const { redis, t, call } = await setup(60_000)
    const { key } = await t.app.make('auth').apiKeys.create('ci', { permissions: ['agents.*'] })
    // Pending usage: shutdown tries to write it.
    await call({ 'X-API-Key': key }).expect(200)

    await redis.kill()
    const started = Date.now()
    await t.app.shutdown()
    // Far below the minute a queued write would wait.
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('shuts down within the command timeout when Redis stops answering', async () => {
    const { redis, t, call } = await setup(300)
    const { key } = await t.app.make('auth').apiKeys.create('ci', { permissions: ['agents.*'] })
    await call({ 'X-API-Key': key }).expect(200)

    redis.pause()
    // Without a bound, the usage write and QUIT would wait on the frozen server for ever.
    await t.app.shutdown()
  })
})
