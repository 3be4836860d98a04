import request from 'supertest'
import { RedisServer } from '../../helpers/redis_server'
import { describeWithRedis } from '../../helpers/services'
import { makeTestServer, type TestServer } from '../http/support/app'

describeWithRedis('runs checkpointed in Redis, while Redis is down', () => {
  let redis: RedisServer | undefined
  let t: TestServer | undefined

  afterEach(async () => {
    await t?.close()
    await redis?.stop()
    t = undefined
    redis = undefined
  })

  it('answer 503 E_SERVICE_UNAVAILABLE at once, readiness names the checkpointer, and both recover when Redis returns', async () => {
    redis = await RedisServer.start()
    t = await makeTestServer(
      // A command timeout of a minute: only a Redis known to be down can explain a prompt answer.
      { STATE_CHECKPOINTER: 'redis', REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '60000', REDIS_RECONNECT_MAX_DELAY_MS: '50' },
      { runner: (app) => ({ checkpointer: app.make('checkpointer').use('redis') }), health: { checkpointer: 'required' } },
    )
    const http = request(t.server.express)
    const run = () => http.post('/agents/echo').send({ input: { query: 'hi' } })
    await run().expect(200)
    expect((await http.get('/health/ready').expect(200)).body.checks).toMatchObject({ checkpointer: { status: 'ok' }, redis: { status: 'ok' } })

    await redis.kill()
    // Every run of the outage, not only the first: a client that queues commands until its next
    // reconnect attempt makes each one wait longer as the outage goes on.
    const started = Date.now()
    for (let i = 0; i < 10; i++) {
      const refused = await run()
      expect(refused.status).toBe(503)
      expect(refused.body.error).toMatchObject({ code: 'E_SERVICE_UNAVAILABLE', message: 'Redis is unavailable' })
    }
    // Far below the minute one queued command would wait.
    expect(Date.now() - started).toBeLessThan(5000)
    const notReady = await http.get('/health/ready').expect(503)
    expect(notReady.body.checks).toMatchObject({ checkpointer: { status: 'down', required: true }, redis: { status: 'down', required: true } })

    await redis.restart()
    const deadline = Date.now() + 10_000
    let ready = await http.get('/health/ready')
    while (ready.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      ready = await http.get('/health/ready')
    }
    expect(ready.status).toBe(200)
    await run().expect(200)
  })
})
