import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isException } from '../../../framework/errors'
import { MemoryRunEvents } from '../../../framework/run_events/memory_run_events'
import { lastEventId, streamRunEvents } from '../../../framework/run_events/stream_run_events'
import { eventually } from './run_events_conformance'

/** `id`, `event` and parsed `data` of each SSE frame, heartbeat comments left out. */
function frames(text: string): Array<{ id?: string; event?: string; data?: unknown }> {
  return text
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const frame: { id?: string; event?: string; data?: unknown } = {}
      for (const line of block.split('\n')) {
        const [field, ...rest] = line.split(': ')
        const value = rest.join(': ')
        if (field === 'id') frame.id = value
        if (field === 'event') frame.event = value
        if (field === 'data') frame.data = JSON.parse(value)
      }
      return frame
    })
}

describe('streamRunEvents', () => {
  let server: Server
  let base: string
  let log = new MemoryRunEvents()

  beforeAll(async () => {
    server = createServer((req, res) => {
      const runId = new URL(req.url ?? '/', 'http://x').pathname.slice(1)
      let after: string | undefined
      try {
        after = lastEventId(req.headers)
      } catch (error) {
        if (!isException(error)) throw error
        res.writeHead(error.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: error.code, message: error.message } }))
        return
      }
      streamRunEvents(res, log, runId, { after, heartbeatSeconds: 0 }).catch((error: unknown) => {
        if (!isException(error) || res.headersSent) throw error
        res.writeHead(error.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: error.code, message: error.message } }))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await log.close()
    await new Promise((resolve) => server.close(resolve))
  })

  it('sends each event with its stored id, resumes after the Last-Event-ID sent back, and ends with the run', async () => {
    const ids: string[] = []
    for (const n of [0, 1, 2]) ids.push(await log.append('sse-run', { event: n === 1 ? 'updates' : 'values', data: { n } }))
    const first = await fetch(`${base}/sse-run`)
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const reader = first.body!.getReader()
    let text = ''
    await eventually(async () => {
      const { value } = await reader.read()
      text += Buffer.from(value ?? new Uint8Array()).toString('utf8')
      expect(frames(text)).toHaveLength(3)
    })
    expect(frames(text)).toEqual([
      { id: ids[0], event: 'values', data: { n: 0 } },
      { id: ids[1], event: 'updates', data: { n: 1 } },
      { id: ids[2], event: 'values', data: { n: 2 } },
    ])
    await reader.cancel()

    const resumed = fetch(`${base}/sse-run`, { headers: { 'last-event-id': ids[1] } }).then((response) => response.text())
    const later = await log.append('sse-run', { event: 'values', data: { n: 3 } })
    await log.end('sse-run')
    expect(frames(await resumed)).toEqual([
      { id: ids[2], event: 'values', data: { n: 2 } },
      { id: later, event: 'values', data: { n: 3 } },
    ])
  })

  it('answers a malformed Last-Event-ID with 400 E_INVALID_EVENT_ID, before any event', async () => {
    const response = await fetch(`${base}/sse-run`, { headers: { 'last-event-id': 'not-an-id' } })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: { code: 'E_INVALID_EVENT_ID' } })
  })

  it('stops reading when the client goes away', async () => {
    const controller = new AbortController()
    const response = await fetch(`${base}/gone-run`, { signal: controller.signal })
    expect(response.status).toBe(200)
    const followers = () => log.following
    await eventually(() => expect(followers()).toBe(1))
    controller.abort()
    await eventually(() => expect(followers()).toBe(0))
  })

  it('answers 503 E_OVERLOADED before the stream starts when every live-reader slot is taken', async () => {
    const previous = log
    log = new MemoryRunEvents({ maxFollowers: 1 })
    try {
      const holder = new AbortController()
      const first = await fetch(`${base}/busy-run`, { signal: holder.signal })
      expect(first.status).toBe(200)
      await eventually(() => expect(log.following).toBe(1))
      const second = await fetch(`${base}/busy-run`)
      expect(second.status).toBe(503)
      expect(await second.json()).toMatchObject({ error: { code: 'E_OVERLOADED' } })
      holder.abort()
    } finally {
      await log.close()
      log = previous
    }
  })

  it('sends a failure midway as an error event without an id line, so the client resumes after its last event', async () => {
    const previous = log
    log = new MemoryRunEvents({ maxRuns: 1 })
    try {
      const id = await log.append('evicted-run', { event: 'values', data: 1 })
      const text = fetch(`${base}/evicted-run`).then((response) => response.text())
      await eventually(() => expect(log.following).toBe(1))
      await log.append('other-run', { event: 'values', data: 2 })
      const received = await text
      expect(frames(received)).toEqual([
        { id, event: 'values', data: 1 },
        { event: 'error', data: expect.objectContaining({ code: 'E_RUN_EVENTS_EXPIRED' }) },
      ])
      expect(received).not.toMatch(/^id: 1$/m)
    } finally {
      await log.close()
      log = previous
    }
  })
})
