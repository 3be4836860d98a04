import request from 'supertest'
import { E_UNAUTHORIZED } from '../../../framework/errors'
import { MiddlewareRegistry } from '../../../framework/pipeline/middleware_registry'
import type { HttpMiddleware } from '../../../framework/http/compose'
import { makeTestServer, type TestServer } from './support/app'

describe('agent API over HTTP', () => {
  let t: TestServer
  let http: ReturnType<typeof request>

  beforeAll(async () => {
    t = await makeTestServer()
    http = request(t.server.express)
  })
  afterAll(() => t.close())

  it('lists the agent routes with their input JSON Schema', async () => {
    const res = await http.get('/agents').expect(200)
    const echo = res.body.agents.find((agent: { path: string }) => agent.path === 'echo')
    expect(echo).toMatchObject({
      name: 'echo',
      description: 'Echoes the query',
      input_schema: { type: 'object', properties: { query: { type: 'string', minLength: 1 } }, required: ['query'] },
    })
    expect(res.body.agents.map((agent: { path: string }) => agent.path)).toEqual(['echo', 'support/approval', 'slow', 'boom', 'fanout'])
  })

  it('runs an agent and answers with output, thread id, interrupts and metadata', async () => {
    const res = await http.post('/agents/echo').send({ input: { query: 'hi' } }).expect(200)
    expect(res.body.output).toMatchObject({ response: 'Processed: hi' })
    expect(res.body.interrupts).toEqual([])
    expect(res.body.thread_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.body.metadata).toMatchObject({ agent: 'EchoAgent', path: '/echo', trace_id: res.headers['x-request-id'] })
    expect(typeof res.body.metadata.duration_ms).toBe('number')
  })

  it('continues the thread named in config.thread_id', async () => {
    await http.post('/agents/echo').send({ input: { query: 'one' }, config: { thread_id: 'thread-echo-1' } }).expect(200)
    const res = await http.post('/agents/echo').send({ input: { query: 'two' }, config: { thread_id: 'thread-echo-1' } }).expect(200)
    expect(res.body.thread_id).toBe('thread-echo-1')
    expect(res.body.output.steps).toEqual(['prepare', 'respond', 'prepare', 'respond'])
  })

  it('stops at an interrupt, shows how to resume, and resumes over HTTP', async () => {
    const first = await http.post('/agents/support/approval').send({ input: { query: 'refund' }, config: { thread_id: 'approval-1' } }).expect(200)
    expect(first.body.interrupts).toEqual([
      {
        id: expect.any(String),
        value: { question: 'Approve "Draft for refund"?' },
        node: 'review',
        resume: { method: 'POST', url: '/agents/support/approval/threads/approval-1/resume' },
      },
    ])

    const state = await http.get('/agents/support/approval/threads/approval-1/state').expect(200)
    expect(state.body).toMatchObject({ thread_id: 'approval-1', next: ['review'], values: { response: 'Draft for refund' } })
    expect(state.body.interrupts).toHaveLength(1)

    const resumed = await http.post(first.body.interrupts[0].resume.url).send({ value: 'yes' }).expect(200)
    expect(resumed.body.output.response).toBe('Draft for refund (approved)')
    expect(resumed.body.interrupts).toEqual([])

    const again = await http.post('/agents/support/approval/threads/approval-1/resume').send({ value: 'yes' }).expect(409)
    expect(again.body.error.code).toBe('E_NOTHING_TO_RESUME')
  })

  it('returns the thread history newest first, bounded by limit', async () => {
    await http.post('/agents/echo').send({ input: { query: 'h' }, config: { thread_id: 'history-1' } }).expect(200)
    const all = await http.get('/agents/echo/threads/history-1/history').expect(200)
    expect(all.body.thread_id).toBe('history-1')
    expect(all.body.history.length).toBeGreaterThan(2)
    expect(all.body.history[0].values.response).toBe('Processed: h')
    const limited = await http.get('/agents/echo/threads/history-1/history?limit=2').expect(200)
    expect(limited.body.history).toHaveLength(2)
    const bad = await http.get('/agents/echo/threads/history-1/history?limit=0').expect(400)
    expect(bad.body.error.code).toBe('E_BAD_REQUEST')
  })

  it('answers 404 E_THREAD_NOT_FOUND for a thread that does not exist', async () => {
    const res = await http.get('/agents/echo/threads/nope-123/state').expect(404)
    expect(res.body.error.code).toBe('E_THREAD_NOT_FOUND')
    await http.post('/agents/support/approval/threads/nope-123/resume').send({ value: 1 }).expect(404)
  })

  it('serves the graph as Mermaid, in JSON or as text', async () => {
    const json = await http.get('/agents/echo/graph').expect(200)
    expect(json.body).toMatchObject({ path: 'echo', format: 'mermaid' })
    expect(json.body.graph).toContain('prepare --> respond')
    const text = await http.get('/agents/echo/graph').set('Accept', 'text/vnd.mermaid').expect(200)
    expect(text.headers['content-type']).toContain('text/vnd.mermaid')
    expect(text.text).toContain('graph TD')
  })

  it('serves an OpenAPI 3.1 document generated from the routes', async () => {
    const res = await http.get('/openapi.json').expect(200)
    expect(res.body.openapi).toBe('3.1.0')
    expect(res.body.paths['/agents/echo'].post.requestBody.content['application/json'].schema.properties.input.properties.query).toEqual({ type: 'string', minLength: 1 })
    expect(res.body.paths['/agents/support/approval/threads/{thread_id}/resume'].post).toMatchObject({ requestBody: { required: true }, responses: { 409: expect.any(Object) } })
  })

  it('answers 422 listing the fields when the input fails the agent schema', async () => {
    const res = await http.post('/agents/echo').send({ input: { query: 42 } }).expect(422)
    expect(res.body.error.code).toBe('E_VALIDATION')
    expect(res.body.error.details).toEqual([{ path: 'query', message: expect.any(String) }])
    expect(res.body.error.trace_id).toBe(res.headers['x-request-id'])
  })

  it('answers 422 for a request body of the wrong shape', async () => {
    const missing = await http.post('/agents/echo').send({ inputs: {} }).expect(422)
    expect(missing.body.error.details).toEqual([{ path: 'input', message: 'input is required' }])
    const badThread = await http.post('/agents/echo').send({ input: { query: 'x' }, config: { thread_id: '../../x' } }).expect(422)
    expect(badThread.body.error.details[0].path).toBe('config.thread_id')
    const badMode = await http.post('/agents/echo').send({ input: { query: 'x' }, stream: true, stream_mode: 'debug' }).expect(422)
    expect(badMode.body.error.details[0].path).toBe('stream_mode')
    const array = await http.post('/agents/echo').send([1, 2]).expect(422)
    expect(array.body.error.code).toBe('E_VALIDATION')
  })

  it('answers 404 E_AGENT_NOT_FOUND for an unknown agent and E_NOT_FOUND for an unknown route', async () => {
    expect((await http.post('/agents/nobody').send({ input: {} }).expect(404)).body.error.code).toBe('E_AGENT_NOT_FOUND')
    expect((await http.get('/agents/nobody/graph').expect(404)).body.error.code).toBe('E_AGENT_NOT_FOUND')
    expect((await http.get('/nothing-here').expect(404)).body.error.code).toBe('E_NOT_FOUND')
    expect((await http.get('/agents/echo').expect(404)).body.error.code).toBe('E_NOT_FOUND')
  })

  it('answers a server error with a generic message, the code and the trace id only', async () => {
    const res = await http.post('/agents/boom').set('X-Request-Id', 'boom-req-1').send({ input: {} }).expect(500)
    expect(res.body).toEqual({ error: { code: 'E_RUNTIME', message: 'Internal server error', trace_id: 'boom-req-1' } })
    expect(res.text).not.toMatch(/hunter2|postgres:|SELECT|\.ts:\d+/)
    const logged = t.logs.records.find((record) => record.message === 'request failed' && record.requestId === 'boom-req-1')
    expect(logged).toMatchObject({ level: 'error', method: 'POST', route: '/agents/:path' })
    expect(JSON.stringify(logged)).toContain('ECONNREFUSED')
    expect(JSON.stringify(logged)).not.toContain('hunter2')
  })
})

describe('agent API with DEBUG=true', () => {
  it('shows the internal message and stack to the client', async () => {
    const t = await makeTestServer({ DEBUG: 'true' })
    try {
      const res = await request(t.server.express).post('/agents/boom').send({ input: {} }).expect(500)
      expect(res.body.error.message).toContain('ECONNREFUSED')
      expect(res.body.error.stack).toContain('Error')
    } finally {
      await t.close()
    }
  })
})

describe('route middleware by name', () => {
  it('runs HTTP middleware named by the route, before the body is read', async () => {
    const registry = new MiddlewareRegistry<HttpMiddleware>().register('key', {
      stage: 'request',
      create: ([expected]) => ({
        name: 'key',
        handle(ctx, next) {
          if (ctx.header('x-key') !== expected) throw new E_UNAUTHORIZED()
          ctx.res.setHeader('X-Key-Checked', 'yes')
          return next()
        },
      }),
    })
    const t = await makeTestServer({}, { middleware: registry, runner: { echoMiddleware: ['key:open-sesame'] } })
    try {
      const http = request(t.server.express)
      const ok = await http.post('/agents/echo').set('X-Key', 'open-sesame').send({ input: { query: 'k' } }).expect(200)
      expect(ok.headers['x-key-checked']).toBe('yes')
      // Refused before the (malformed) body is even parsed.
      const refused = await http.post('/agents/echo').set('Content-Type', 'application/json').send('{not json').expect(401)
      expect(refused.body.error.code).toBe('E_UNAUTHORIZED')
      // Other routes do not name it.
      await http.post('/agents/support/approval').send({ input: { query: 'k' } }).expect(200)
    } finally {
      await t.close()
    }
  })

  it('fails at startup with E_UNKNOWN_MIDDLEWARE naming the route for a name the registry does not know', async () => {
    const failure = makeTestServer({}, { runner: { echoMiddleware: ['atuh'] } })
    await expect(failure).rejects.toMatchObject({ code: 'E_UNKNOWN_MIDDLEWARE', details: { spec: 'atuh', origin: 'route /echo' } })
    await expect(failure).rejects.toThrow(/Unknown middleware "atuh" in route \/echo/)
  })

  it('runs only the request stage over HTTP: a run-stage name on the route is left to the agent runner', async () => {
    const seen: string[] = []
    const registry = new MiddlewareRegistry<HttpMiddleware, unknown>()
      .register('mark', { stage: 'request', create: () => ({ name: 'mark', handle: (_ctx, next) => (seen.push('request'), next()) }) })
      .register('agent-only', { stage: 'run', create: () => { throw new Error('the HTTP router must not build a run-stage middleware') } })
    const t = await makeTestServer({}, { middleware: registry, runner: { echoMiddleware: ['mark', 'agent-only'] } })
    try {
      await request(t.server.express).post('/agents/echo').send({ input: { query: 'k' } }).expect(200)
      expect(seen).toEqual(['request'])
    } finally {
      await t.close()
    }
  })
})
