import { request as httpRequest } from 'node:http'
import request from 'supertest'
import { getMetrics } from '../../../framework/observability/metrics'
import { makeTestServer, type TestServer } from './support/app'
import { parseSse } from './support/sse'
import { waitFor } from './support/wait_for'

describe('streaming runs (SSE)', () => {
  let t: TestServer
  let http: ReturnType<typeof request>
  let port: number

  beforeAll(async () => {
    t = await makeTestServer({}, { runner: { slowTimeoutSeconds: 0.3 }, heartbeatSeconds: 0.1 })
    http = request(t.server.express)
    port = (await t.server.listen(0, '127.0.0.1')).port
  })
  afterAll(() => t.close())

  it('sends metadata, the requested modes in order, then end, with increasing event ids', async () => {
    const res = await http.post('/agents/echo').send({ input: { query: 'hi' }, stream: true, stream_mode: ['updates', 'values'] }).expect(200)
    expect(res.headers['content-type']).toContain('text/event-stream')
    expect(res.headers['cache-control']).toContain('no-cache')
    const { events } = parseSse(res.text)
    expect(events[0].event).toBe('metadata')
    expect(events[0].data).toMatchObject({ agent: 'EchoAgent', path: '/echo', stream_mode: ['updates', 'values'], request_id: res.headers['x-request-id'] })
    expect(events[events.length - 1]).toMatchObject({ event: 'end', data: { status: 'completed', thread_id: events[0].data.thread_id } })
    expect(events.map((event) => Number(event.id))).toEqual(events.map((_, index) => index + 1))
    const updates = events.filter((event) => event.event === 'updates').map((event) => Object.keys(event.data)[0])
    expect(updates).toEqual(['prepare', 'respond'])
    const values = events.filter((event) => event.event === 'values')
    expect(values[values.length - 1].data.response).toBe('Processed: hi')
  })

  it('keys each update by the node that wrote it, as LangGraph\'s updates mode does', async () => {
    const res = await http.post('/agents/echo').send({ input: { query: ' hi ' }, stream: true, stream_mode: 'updates' }).expect(200)
    const updates = parseSse(res.text).events.filter((event) => event.event === 'updates').map((event) => event.data)
    expect(updates).toEqual([{ prepare: { query: 'hi', steps: ['prepare'] } }, { respond: { response: 'Processed: hi', steps: ['respond'] } }])
  })

  it('tells parallel branches apart: identical updates from two nodes of one step carry their node names', async () => {
    const res = await http.post('/agents/fanout').send({ input: {}, stream: true, stream_mode: 'updates' }).expect(200)
    const updates = parseSse(res.text).events.filter((event) => event.event === 'updates').map((event) => event.data)
    expect(updates).toHaveLength(2)
    expect(updates).toEqual(expect.arrayContaining([{ left: { steps: ['done'] } }, { right: { steps: ['done'] } }]))
  })

  it('keys the updates of a resumed stream by node too', async () => {
    await http.post('/agents/support/approval').send({ input: { query: 'u' }, config: { thread_id: 'sse-resume-updates' } }).expect(200)
    const res = await http.post('/agents/support/approval/threads/sse-resume-updates/resume').send({ value: 'yes', stream: true, stream_mode: 'updates' }).expect(200)
    const updates = parseSse(res.text).events.filter((event) => event.event === 'updates').map((event) => event.data)
    expect(updates).toEqual([{ review: { approved: true, steps: ['review'] } }, { finish: { response: 'Draft for u (approved)', steps: ['finish'] } }])
  })

  it('streams when the client asks with Accept: text/event-stream, in values mode by default', async () => {
    const res = await http.post('/agents/echo').set('Accept', 'text/event-stream').send({ input: { query: 'acc' } }).expect(200)
    const kinds = parseSse(res.text).events.map((event) => event.event)
    expect(kinds[0]).toBe('metadata')
    expect(new Set(kinds.slice(1, -1))).toEqual(new Set(['values']))
    expect(kinds[kinds.length - 1]).toBe('end')
  })

  it('sends an interrupt event with the resume URL, and a resumed stream finishes the run', async () => {
    const first = parseSse((await http.post('/agents/support/approval').send({ input: { query: 'q' }, stream: true, config: { thread_id: 'sse-approval' } }).expect(200)).text).events
    const interrupt = first.find((event) => event.event === 'interrupt')
    expect(interrupt?.data).toMatchObject({
      thread_id: 'sse-approval',
      interrupts: [{ value: { question: 'Approve "Draft for q"?' }, resume: { method: 'POST', url: '/agents/support/approval/threads/sse-approval/resume' } }],
    })
    expect(first[first.length - 1].data.status).toBe('interrupted')

    const resumed = parseSse((await http.post('/agents/support/approval/threads/sse-approval/resume').send({ value: 'no', stream: true }).expect(200)).text).events
    const values = resumed.filter((event) => event.event === 'values')
    expect(values[values.length - 1].data.response).toBe('Draft for q (rejected)')
    expect(resumed[resumed.length - 1].data.status).toBe('completed')
  })

  it('refuses invalid input with a plain 422 before the stream starts', async () => {
    const res = await http.post('/agents/echo').send({ input: { query: '' }, stream: true }).expect(422)
    expect(res.headers['content-type']).toContain('application/json')
    expect(res.body.error.details).toEqual([{ path: 'query', message: expect.any(String) }])
    // The runner's own refusal, the same a JSON run gets.
    const json = await http.post('/agents/echo').send({ input: { query: '' } }).expect(422)
    expect(res.body.error.message).toBe(json.body.error.message)
  })

  it('refuses a resume of an unknown thread with a plain 404 before the stream starts', async () => {
    const res = await http.post('/agents/support/approval/threads/no-such-thread/resume').send({ value: 'yes', stream: true }).expect(404)
    expect(res.headers['content-type']).toContain('application/json')
    expect(res.body.error.code).toBe('E_THREAD_NOT_FOUND')
  })

  it('counts a stream refused for invalid input as an invalid run, as a JSON run is counted', async () => {
    const invalidRuns = async () => Number(/langvel_agent_runs_total\{agent="\/echo",outcome="invalid"\} (\d+)/.exec(await getMetrics().render())?.[1] ?? 0)
    const before = await invalidRuns()
    await http.post('/agents/echo').send({ input: { query: '' }, stream: true }).expect(422)
    expect(await invalidRuns()).toBe(before + 1)
    await http.post('/agents/echo').send({ input: { query: '' } }).expect(422)
    expect(await invalidRuns()).toBe(before + 2)
  })

  it('on timeout sends an error event then ends, and the run is cancelled', async () => {
    const before = t.runner.observations.aborted.length
    const res = await http.post('/agents/slow').send({ input: { delayMs: 10_000 }, stream: true }).expect(200)
    const { events, comments } = parseSse(res.text)
    const kinds = events.map((event) => event.event)
    // The input state (a values event) may come first; the run never produces its own output.
    expect(kinds[0]).toBe('metadata')
    expect(kinds.slice(-2)).toEqual(['error', 'end'])
    expect(kinds.length).toBeLessThanOrEqual(4)
    expect(events[kinds.length - 2].data).toMatchObject({ code: 'E_TIMEOUT', trace_id: res.headers['x-request-id'] })
    expect(events[kinds.length - 1].data.status).toBe('error')
    expect(events.some((event) => event.event === 'values' && event.data.response === 'done')).toBe(false)
    expect(comments).toContain('heartbeat')
    expect(t.runner.observations.aborted.length).toBe(before + 1)
    expect(t.runner.observations.started).not.toContain('after')
  })

  it('aborts the run when the client disconnects mid-stream', async () => {
    const aborted = t.runner.observations.aborted.length
    const started = t.runner.observations.started.length
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/agents/slow', headers: { 'content-type': 'application/json', accept: 'text/event-stream' } }, (res) => {
        res.once('data', (data: Buffer) => {
          expect(data.toString()).toContain('event: metadata')
          req.destroy()
          resolve()
        })
      })
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)))
      req.end(JSON.stringify({ input: { delayMs: 250 } }))
    })
    await waitFor(() => t.runner.observations.aborted.length === aborted + 1, 'the node to observe the disconnect')
    await waitFor(() => t.server.limiter.active === 0, 'the slot to be released')
    expect(t.runner.observations.started.slice(started)).toEqual(['wait'])
    expect(await getMetrics().render()).toMatch(/langvel_agent_runs_total\{agent="\/slow",outcome="cancelled"\} [1-9]/)
  })
})

describe('streaming under load', () => {
  it('answers 503 as JSON, not a stream, when the server is at capacity', async () => {
    const t = await makeTestServer({ MAX_CONCURRENT_REQUESTS: '1', MAX_QUEUE_SIZE: '0' })
    try {
      const http = request(t.server.express)
      const busy = http.post('/agents/slow').send({ input: { delayMs: 300 } }).then((res) => res)
      await waitFor(() => t.runner.observations.started.includes('wait'), 'the slow run to start')
      const res = await http.post('/agents/echo').send({ input: { query: 'x' }, stream: true }).expect(503)
      expect(res.headers['content-type']).toContain('application/json')
      expect(res.body.error.code).toBe('E_OVERLOADED')
      expect(res.headers['retry-after']).toBe('1')
      expect((await busy).status).toBe(200)
    } finally {
      await t.close()
    }
  })
})
