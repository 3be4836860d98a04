import request from 'supertest'
import { getMetrics } from '../../../framework/observability/metrics'
import { makeTestServer, type TestServer } from './support/app'
import { waitFor } from './support/wait_for'

/**
 * How many runs of `agent` the process's metrics counted with `outcome`. The
 * registry is shared by every server of the test process, so tests compare
 * the count before and after their own run.
 */
async function runsCounted(agent: string, outcome: string): Promise<number> {
  const text = await getMetrics().render()
  const line = text.split('\n').find((candidate) => candidate.startsWith(`langvel_agent_runs_total{agent="${agent}",outcome="${outcome}"} `))
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('run timeouts', () => {
  let t: TestServer

  beforeEach(async () => {
    // A grace period longer than any wait of the test: a slot comes back only when its run has settled.
    t = await makeTestServer({}, { runner: { slowTimeoutSeconds: 0.3 }, abortGraceMs: 60_000 })
  })
  afterEach(() => t.close())

  it('answers 504 when the route timeout fires, and really cancels the run', async () => {
    const res = await request(t.server.express).post('/agents/slow').send({ input: { delayMs: 10_000 } }).expect(504)
    expect(res.body.error.code).toBe('E_TIMEOUT')
    await waitFor(() => t.runner.observations.aborted.includes('wait'), 'the node to observe the abort')
    // The run has settled once its slot is back: from then on it can start no further node.
    await waitFor(() => t.server.limiter.active === 0, 'the run to settle and give its slot back')
    expect(t.runner.observations.completed).not.toContain('wait')
    expect(t.runner.observations.started).not.toContain('after')
  })

  it('counts the run as a timeout in the metrics', async () => {
    const before = await runsCounted('/slow', 'timeout')
    await request(t.server.express).post('/agents/slow').send({ input: { delayMs: 10_000 } }).expect(504)
    expect(await runsCounted('/slow', 'timeout')).toBe(before + 1)
  })
})

describe('AGENT_TIMEOUT', () => {
  it('applies to routes that set no timeout of their own', async () => {
    const t = await makeTestServer({ AGENT_TIMEOUT: '1' })
    try {
      const res = await request(t.server.express).post('/agents/slow').send({ input: { delayMs: 10_000 } }).expect(504)
      expect(res.body.error.code).toBe('E_TIMEOUT')
      await waitFor(() => t.runner.observations.aborted.includes('wait'), 'the node to observe the abort')
    } finally {
      await t.close()
    }
  })
})

describe('concurrency limit and queue', () => {
  it('answers 503 with Retry-After at once when every slot is busy and the queue is full', async () => {
    const t = await makeTestServer({ MAX_CONCURRENT_REQUESTS: '1', MAX_QUEUE_SIZE: '0' }, { retryAfterSeconds: 2 })
    try {
      const rejectedBefore = await runsCounted('/echo', 'rejected')
      const http = request(t.server.express)
      const busy = http.post('/agents/slow').send({ input: { delayMs: 400 } }).then((res) => res)
      await waitFor(() => t.runner.observations.started.includes('wait'), 'the slow run to start')
      const refused = await http.post('/agents/echo').send({ input: { query: 'hi' } }).expect(503)
      expect(refused.headers['retry-after']).toBe('2')
      expect(refused.body.error.code).toBe('E_OVERLOADED')
      expect((await busy).status).toBe(200)
      // The slot is free again.
      await http.post('/agents/echo').send({ input: { query: 'hi' } }).expect(200)
      expect(await runsCounted('/echo', 'rejected')).toBe(rejectedBefore + 1)
    } finally {
      await t.close()
    }
  })

  it('queues up to MAX_QUEUE_SIZE runs, serves them in turn, and refuses beyond that', async () => {
    const t = await makeTestServer({ MAX_CONCURRENT_REQUESTS: '1', MAX_QUEUE_SIZE: '1' })
    try {
      const http = request(t.server.express)
      const busy = http.post('/agents/slow').send({ input: { delayMs: 300 } }).then((res) => res)
      await waitFor(() => t.runner.observations.started.includes('wait'), 'the slow run to start')
      const queued = http.post('/agents/echo').send({ input: { query: 'queued' } }).then((res) => res)
      await waitFor(() => t.server.limiter.queued === 1, 'the echo run to queue')
      await http.post('/agents/echo').send({ input: { query: 'third' } }).expect(503)
      expect((await busy).status).toBe(200)
      const served = await queued
      expect(served.status).toBe(200)
      expect(served.body.output.response).toBe('Processed: queued')
    } finally {
      await t.close()
    }
  })

  it('does not count reads (state, graph) against the run limit', async () => {
    const t = await makeTestServer({ MAX_CONCURRENT_REQUESTS: '1', MAX_QUEUE_SIZE: '0' })
    try {
      const http = request(t.server.express)
      const busy = http.post('/agents/slow').send({ input: { delayMs: 300 } }).then((res) => res)
      await waitFor(() => t.runner.observations.started.includes('wait'), 'the slow run to start')
      await http.get('/agents/echo/graph').expect(200)
      await http.get('/agents').expect(200)
      expect((await busy).status).toBe(200)
    } finally {
      await t.close()
    }
  })
})
