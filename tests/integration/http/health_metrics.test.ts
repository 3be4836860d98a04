import request from 'supertest'
import { describeWithPostgres, describeWithRedis, POSTGRES_URL, REDIS_URL } from '../../helpers/services'
import { makeTestServer, type TestServer } from './support/app'

describe('health endpoints', () => {
  let t: TestServer
  let http: ReturnType<typeof request>
  let checkpointerUp = true

  beforeAll(async () => {
    t = await makeTestServer(
      {},
      {
        health: {
          checks: [
            {
              name: 'checkpointer',
              required: true,
              check: async () => (checkpointerUp ? 'ok' : Promise.reject(Object.assign(new Error('disk I/O error at /var/lib/x'), { code: 'SQLITE_IOERR' }))),
            },
            { name: 'vector_store', required: false, check: async () => Promise.reject(new Error('down')) },
          ],
        },
      },
    )
    http = request(t.server.express)
  })
  afterAll(() => t.close())

  it('answers /health/live while the process runs', async () => {
    expect((await http.get('/health/live').expect(200)).body).toEqual({ status: 'ok' })
  })

  it('reports every check with status and latency; an optional failure only degrades', async () => {
    const res = await http.get('/health').expect(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body.status).toBe('degraded')
    expect(res.body.checks.checkpointer).toMatchObject({ status: 'ok', required: true, latency_ms: expect.any(Number) })
    expect(res.body.checks.vector_store).toMatchObject({ status: 'down', required: false, error: 'failed' })
  })

  it('answers 503 from /health and /health/ready while a required dependency is down', async () => {
    checkpointerUp = false
    try {
      const health = await http.get('/health').expect(503)
      expect(health.body.checks.checkpointer).toMatchObject({ status: 'down', error: 'SQLITE_IOERR' })
      expect(health.text).not.toContain('/var/lib')
      const ready = await http.get('/health/ready').expect(503)
      expect(ready.body.status).toBe('unavailable')
    } finally {
      checkpointerUp = true
    }
    await http.get('/health/ready').expect(200)
  })

  it('reports not-ready while booting', async () => {
    const booting = await makeTestServer({}, { ready: false })
    try {
      const http = request(booting.server.express)
      expect((await http.get('/health/ready').expect(503)).body).toEqual({ status: 'booting' })
      await http.get('/health/live').expect(200)
    } finally {
      await booting.close()
    }
  })
})

describePostgresHealth()
describeRedisHealth()

function describePostgresHealth() {
  describeWithPostgres('database health check against PostgreSQL', () => {
    it('pings the real database and reports its latency', async () => {
      const t = await makeTestServer({ DATABASE_URL: POSTGRES_URL }, { health: { database: 'required' } })
      try {
        const res = await request(t.server.express).get('/health').expect(200)
        expect(res.body.checks.database).toMatchObject({ status: 'ok', required: true, latency_ms: expect.any(Number) })
      } finally {
        await t.close()
      }
    })
  })

  describe('database health check', () => {
    it('reports a database that refuses connections as down, without its URL', async () => {
      const t = await makeTestServer({ DATABASE_URL: 'postgres://langvel:pw-secret@127.0.0.1:1/none' }, { health: { database: 'required' } })
      try {
        const res = await request(t.server.express).get('/health').expect(503)
        expect(res.body.checks.database.status).toBe('down')
        expect(res.text).not.toContain('pw-secret')
      } finally {
        await t.close()
      }
    })
  })
}

function describeCheckpointerHealth() {
  describe('checkpointer health check', () => {
    it('reads through the configured saver for real', async () => {
      const t = await makeTestServer({ STATE_CHECKPOINTER: 'memory' }, { health: { checkpointer: 'required' } })
      try {
        const res = await request(t.server.express).get('/health').expect(200)
        expect(res.body.checks.checkpointer).toMatchObject({ status: 'ok', required: true, latency_ms: expect.any(Number) })
      } finally {
        await t.close()
      }
    })
  })

  describeWithPostgres('checkpointer health check against PostgreSQL', () => {
    it('reports a postgres checkpointer whose tables were never migrated as down', async () => {
      const url = `${POSTGRES_URL}?options=${encodeURIComponent('-c search_path=langvel_never_migrated')}`
      const t = await makeTestServer({ STATE_CHECKPOINTER: 'postgres', DATABASE_URL: url }, { health: { checkpointer: 'required' } })
      try {
        const res = await request(t.server.express).get('/health').expect(503)
        expect(res.body.checks.checkpointer).toMatchObject({ status: 'down', required: true, error: 'E_NOT_MIGRATED' })
      } finally {
        await t.close()
      }
    })
  })
}
describeCheckpointerHealth()

function describeRedisHealth() {
  describeWithRedis('Redis health check', () => {
    it('pings the real Redis when Redis is required', async () => {
      const t = await makeTestServer({ REDIS_URL }, { health: { redis: 'required' } })
      try {
        const res = await request(t.server.express).get('/health/ready').expect(200)
        expect(res.body.checks.redis).toMatchObject({ status: 'ok', required: true })
      } finally {
        await t.close()
      }
    })
  })

  describe('Redis requirement', () => {
    it('leaves Redis unchecked unless something requires it', async () => {
      const t = await makeTestServer({ STATE_CHECKPOINTER: 'memory' })
      try {
        expect((await request(t.server.express).get('/health').expect(200)).body.checks.redis).toBeUndefined()
      } finally {
        await t.close()
      }
    })
  })
}

describe('metrics endpoint', () => {
  let t: TestServer
  let http: ReturnType<typeof request>

  beforeAll(async () => {
    t = await makeTestServer()
    http = request(t.server.express)
  })
  afterAll(() => t.close())

  it('serves Prometheus text labelled by route template, never by raw path', async () => {
    await http.post('/agents/echo').send({ input: { query: 'm' } }).expect(200)
    await http.post('/agents/support/approval').send({ input: { query: 'm' } }).expect(200)
    await http.get('/no/such/path/12345').expect(404)
    const res = await http.get('/metrics').expect(200)
    expect(res.headers['content-type']).toContain('text/plain')
    expect(res.text).toMatch(/langvel_http_requests_total\{method="POST",route="\/agents\/:path",status="200"\} [2-9]/)
    expect(res.text).toContain('route="<unmatched>"')
    expect(res.text).not.toContain('/no/such/path')
    expect(res.text).not.toContain('route="/agents/echo"')
    expect(res.text).toMatch(/langvel_agent_runs_total\{agent="\/echo",outcome="success"\} [1-9]/)
    expect(res.text).toMatch(/langvel_agent_runs_total\{agent="\/support\/approval",outcome="interrupted"\} [1-9]/)
    expect(res.text).toContain('langvel_http_request_duration_seconds_bucket')
    expect(res.text).toContain('langvel_http_requests_in_flight')
    expect(res.text).toContain('langvel_agent_runs_concurrency_limit 100')
    expect(res.text).toContain('process_resident_memory_bytes')
  })

  it('requires the bearer token when one is configured', async () => {
    const guarded = await makeTestServer({}, { metrics: { token: 'scrape-secret' } })
    try {
      const http = request(guarded.server.express)
      expect((await http.get('/metrics').expect(401)).body.error.code).toBe('E_UNAUTHORIZED')
      await http.get('/metrics').set('Authorization', 'Bearer wrong-secret!').expect(401)
      const ok = await http.get('/metrics').set('Authorization', 'Bearer scrape-secret').expect(200)
      expect(ok.text).toContain('langvel_http_requests_total')
    } finally {
      await guarded.close()
    }
  })
})
