import { request as httpRequest } from 'node:http'
import request from 'supertest'
import { makeTestServer } from './support/app'
import { parseSse } from './support/sse'
import { waitFor } from './support/wait_for'

function post(port: number, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ port, host: '127.0.0.1', method: 'POST', path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (data: string) => (text += data))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }))
    })
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest({ port, host: '127.0.0.1', path: '/health/live' }, (res) => {
      res.resume()
      resolve(false)
    })
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'))
    req.end()
  })
}

describe('graceful shutdown', () => {
  it('stops accepting, reports not-ready, and lets an in-flight run finish', async () => {
    const t = await makeTestServer()
    try {
      const { port } = await t.server.listen(0, '127.0.0.1')
      const inFlight = post(port, '/agents/slow', { input: { delayMs: 400 } })
      await waitFor(() => t.runner.observations.started.includes('wait'), 'the run to start')

      const drained = t.server.shutdown(10)
      expect(t.server.state).toBe('draining')
      expect((await request(t.server.express).get('/health/ready').expect(503)).body).toEqual({ status: 'draining' })
      expect(await connectionRefused(port)).toBe(true)

      const res = await inFlight
      expect(res.status).toBe(200)
      expect(JSON.parse(res.text).output.response).toBe('done')
      await drained
      expect(t.server.state).toBe('stopped')
      expect(t.runner.observations.aborted).toEqual([])
    } finally {
      await t.close()
    }
  })

  it('cancels what is still running when the grace period is over: 503 for calls, an error event for streams', async () => {
    const t = await makeTestServer()
    try {
      const { port } = await t.server.listen(0, '127.0.0.1')
      const call = post(port, '/agents/slow', { input: { delayMs: 10_000 } })
      const stream = post(port, '/agents/slow', { input: { delayMs: 10_000 }, stream: true })
      await waitFor(() => t.runner.observations.started.filter((node) => node === 'wait').length === 2, 'both runs to start')

      await t.server.shutdown(0.2)

      const called = await call
      expect(called.status).toBe(503)
      expect(JSON.parse(called.text).error.code).toBe('E_SHUTTING_DOWN')
      expect(called.headers['retry-after']).toBe('1')
      const events = parseSse((await stream).text).events
      expect(events.slice(-2).map((event) => [event.event, event.data.code ?? event.data.status])).toEqual([
        ['error', 'E_SHUTTING_DOWN'],
        ['end', 'error'],
      ])
      await waitFor(() => t.runner.observations.aborted.length === 2, 'both nodes to observe the cancellation')
      expect(t.runner.observations.started).not.toContain('after')
    } finally {
      await t.close()
    }
  })
})
