import { createServer as createTcpServer } from 'node:net'
import request from 'supertest'
import { makeTestServer, type TestServer } from './support/app'
import { parseSse } from './support/sse'

/** A port nothing listens on: bound, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createTcpServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** A test server whose graphs checkpoint through the application's `driver` checkpointer, pointed at a dead service. */
async function serverOver(driver: 'redis' | 'postgres', env: Record<string, string>): Promise<TestServer> {
  return makeTestServer({ STATE_CHECKPOINTER: driver, ...env }, { runner: (app) => ({ checkpointer: app.make('checkpointer').use(driver) }) })
}

describe.each([
  ['Redis', 'redis' as const, (port: number) => ({ REDIS_URL: `redis://127.0.0.1:${port}` }), 'Redis', (_port: number): unknown => 'Connection is closed.'],
  [
    'PostgreSQL',
    'postgres' as const,
    (port: number) => ({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/langvel` }),
    undefined,
    (port: number): unknown => expect.stringContaining(`ECONNREFUSED 127.0.0.1:${port}`),
  ],
])('a run whose checkpointer (%s) is unreachable', (_name, driver, envFor, service, driverMessage) => {
  let t: TestServer
  let port: number

  beforeAll(async () => {
    port = await closedPort()
    t = await serverOver(driver, envFor(port))
  })
  afterAll(() => t.close())

  it('answers 503 E_SERVICE_UNAVAILABLE with Retry-After, naming no host or port', async () => {
    const res = await request(t.server.express).post('/agents/echo').set('X-Request-Id', `down-${driver}`).send({ input: { query: 'hi' } })
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('1')
    expect(res.body.error).toEqual({ code: 'E_SERVICE_UNAVAILABLE', message: expect.stringMatching(/ is unavailable$/), trace_id: `down-${driver}` })
    if (service) expect(res.body.error.message).toBe(`${service} is unavailable`)
    for (const leak of ['127.0.0.1', String(port), 'ECONNREFUSED', 'maxRetriesPerRequest']) expect(res.text).not.toContain(leak)
    // Operators get the driver's own error, with its stack, in the log.
    const logged = t.logs.records.find((record) => record.message === 'request failed' && record.requestId === `down-${driver}`)
    expect(logged).toMatchObject({ level: 'error', method: 'POST', route: '/agents/:path', error: { message: driverMessage(port), stack: expect.any(String) } })
  })

  it('sends the same typed error as an SSE error event', async () => {
    const res = await request(t.server.express).post('/agents/echo').send({ input: { query: 'hi' }, stream: true }).expect(200)
    const { events } = parseSse(res.text)
    const error = events.find((event) => event.event === 'error')
    expect(error?.data).toMatchObject({ code: 'E_SERVICE_UNAVAILABLE', message: expect.stringMatching(/ is unavailable$/) })
    expect(JSON.stringify(error?.data)).not.toContain(String(port))
    expect(events[events.length - 1]).toMatchObject({ event: 'end', data: { status: 'error' } })
  })
})

describe('an unreachable service with DEBUG=true', () => {
  it('shows the driver message (hosts included) for debugging', async () => {
    const port = await closedPort()
    const t = await serverOver('postgres', { DEBUG: 'true', DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/langvel` })
    try {
      const res = await request(t.server.express).post('/agents/echo').send({ input: { query: 'hi' } }).expect(503)
      expect(res.body.error.code).toBe('E_SERVICE_UNAVAILABLE')
      expect(res.body.error.message).toContain(String(port))
    } finally {
      await t.close()
    }
  })
})
