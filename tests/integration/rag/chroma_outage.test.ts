import { createServer as createHttpServer } from 'node:http'
import { createServer, type Socket } from 'node:net'
import { ChromaStore } from '../../../framework/rag/chroma_store'
import { ChromaServer } from '../../helpers/chroma_server'
import { Capture } from './support/capture'

const FACTS = { provider: 'fake', model: 'fake-hash-2', dimensions: 2 }

describe('ChromaStore while Chroma is down', () => {
  let server: ChromaServer

  beforeAll(async () => {
    server = await ChromaServer.start()
  })
  afterAll(() => server?.stop())
  afterEach(async () => {
    if (!server.pid) await server.restart()
  })

  it('fails with E_SERVICE_UNAVAILABLE, naming the kind of service and not its address, within the call deadline', async () => {
    const store = new ChromaStore({ url: server.url, timeoutMs: 500, retries: 3 })
    await store.heartbeat()
    await server.kill()

    const started = Date.now()
    const error = await store.heartbeat().catch((e: unknown) => e)
    const elapsed = Date.now() - started

    expect(error).toMatchObject({ code: 'E_SERVICE_UNAVAILABLE', status: 503, message: 'The vector store is unavailable' })
    expect(elapsed).toBeLessThanOrEqual(store.deadlineMs + 1000)
  })

  it('retries with growing backoff, as many times as configured, before giving up', async () => {
    const delays: number[] = []
    const store = new ChromaStore({ url: server.url, timeoutMs: 500, retries: 3, sleep: async (ms) => void delays.push(ms) })
    await server.kill()

    await expect(store.heartbeat()).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE' })

    expect(delays).toHaveLength(3)
    // Equal jitter: each wait lies in the upper half of its doubling ceiling (100, 200, 400 ms).
    delays.forEach((delay, index) => {
      const ceiling = 100 * 2 ** index
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2)
      expect(delay).toBeLessThanOrEqual(ceiling)
    })
  })

  it('completes a call made while Chroma is down once it returns within the deadline, data intact', async () => {
    const capture = new Capture()
    const store = new ChromaStore({ url: server.url, timeoutMs: 1000, retries: 10, backoff: { baseDelayMs: 50, maxDelayMs: 200 }, logger: capture.logger() })
    await store.ensureCollection('outage', FACTS)
    await store.upsert('outage', [{ id: 'kept', text: 'kept across the restart', embedding: [1, 0] }])
    await server.kill()

    const pending = store.query('outage', [1, 0], { k: 1 })
    await capture.waitFor('vector store is not answering')
    await server.restart()

    const matches = await pending
    expect(matches.map((match) => match.id)).toEqual(['kept'])
    await capture.waitFor('vector store is back')
    expect(capture.messages('warn').filter((m) => m.includes('not answering'))).toHaveLength(1)
  })

  it('recovers on its own: the first call after Chroma returns succeeds', async () => {
    const store = new ChromaStore({ url: server.url, timeoutMs: 300, retries: 1 })
    await store.heartbeat()
    await server.kill()
    await expect(store.heartbeat()).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE' })

    await server.restart()

    await expect(store.heartbeat()).resolves.toBeUndefined()
  })

  it('cancels a call stuck in its retries as soon as the caller aborts', async () => {
    const store = new ChromaStore({ url: server.url, timeoutMs: 5000, retries: 10, backoff: { baseDelayMs: 1000, maxDelayMs: 5000 } })
    await server.kill()
    const controller = new AbortController()

    const pending = store.heartbeat({ signal: controller.signal })
    controller.abort(new Error('client went away'))

    await expect(pending).rejects.toMatchObject({ code: 'E_ABORTED' })
  })

  it('bounds each attempt when Chroma accepts connections but never answers (a hung host)', async () => {
    const sockets: Socket[] = []
    const hung = createServer((socket) => void sockets.push(socket))
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve))
    try {
      const store = new ChromaStore({ url: `http://127.0.0.1:${(hung.address() as { port: number }).port}`, timeoutMs: 200, retries: 2, backoff: { baseDelayMs: 10, maxDelayMs: 20 } })

      await expect(store.heartbeat()).rejects.toMatchObject({ code: 'E_SERVICE_UNAVAILABLE' })
      expect(sockets.length).toBeGreaterThanOrEqual(1)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => hung.close(resolve))
    }
  })

  it('retries a 5xx answer and returns the answer that follows', async () => {
    let requests = 0
    const flaky = createHttpServer((req, res) => {
      requests++
      if (requests === 1) {
        res.writeHead(503, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: 'busy' }))
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ 'nanosecond heartbeat': 1 }))
    })
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve))
    try {
      const store = new ChromaStore({ url: `http://127.0.0.1:${(flaky.address() as { port: number }).port}`, backoff: { baseDelayMs: 10, maxDelayMs: 20 } })
      await expect(store.heartbeat()).resolves.toBeUndefined()
      expect(requests).toBe(2)
    } finally {
      flaky.closeAllConnections()
      await new Promise((resolve) => flaky.close(resolve))
    }
  })
})
