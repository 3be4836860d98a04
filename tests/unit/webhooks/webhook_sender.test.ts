import { Registry } from 'prom-client'
import { verifyWebhookSignature, WEBHOOK_HEADERS } from '../../../framework/webhooks/signature'
import { webhookMetrics, type WebhookMetrics } from '../../../framework/webhooks/webhook_metrics'
import { WebhookSender, type WebhookSenderOptions } from '../../../framework/webhooks/webhook_sender'
import { allowedHostsFilter, checkWebhookUrl } from '../../../framework/webhooks/webhook_target'
import { Receiver } from '../../helpers/webhook_receiver'

const secret = 'k'.repeat(40)

async function counter(metrics: WebhookMetrics, name: 'deliveries' | 'retries' | 'dropped', labels: Record<string, string> = {}): Promise<number> {
  const { values } = await metrics[name].get()
  return values.filter((value) => Object.entries(labels).every(([key, label]) => (value.labels as Record<string, unknown>)[key] === label)).reduce((sum, value) => sum + value.value, 0)
}

describe('WebhookSender', () => {
  let receiver: Receiver
  let metrics: WebhookMetrics
  const senders: WebhookSender[] = []
  const sender = (options: Partial<WebhookSenderOptions> = {}) => {
    const created = new WebhookSender({ secret, allowedHosts: ['127.0.0.1', 'localhost', '::1'].map((host) => `${host.includes(':') ? `[${host}]` : host}:${receiver.port}`), retryBaseMs: 5, retryMaxMs: 20, timeoutMs: 2000, metrics, ...options })
    senders.push(created)
    return created
  }

  beforeEach(async () => {
    receiver = await new Receiver().start()
    metrics = webhookMetrics(new Registry())
  })
  afterEach(async () => {
    await Promise.all(senders.splice(0).map((created) => created.close(100)))
    await receiver.stop()
  })

  describe('delivery', () => {
    it('POSTs the JSON body with a timestamp and a signature the receiver verifies with the shared secret', async () => {
      const result = await sender().send(receiver.url(), { run_id: 'r1', status: 'success', values: { answer: 'é' } })
      expect(result).toMatchObject({ outcome: 'delivered', attempts: 1, status: 200 })
      expect(receiver.received).toHaveLength(1)
      const [request] = receiver.received
      expect(request.method).toBe('POST')
      expect(request.headers['content-type']).toBe('application/json')
      expect(JSON.parse(request.body)).toEqual({ run_id: 'r1', status: 'success', values: { answer: 'é' } })
      expect(request.headers[WEBHOOK_HEADERS.delivery]).toBe(result.deliveryId)
      const check = (key: string) =>
        verifyWebhookSignature({ secret: key, body: request.body, timestamp: request.headers[WEBHOOK_HEADERS.timestamp] as string, deliveryId: request.headers[WEBHOOK_HEADERS.delivery] as string, signature: request.headers[WEBHOOK_HEADERS.signature] as string })
      expect(check(secret)).toBe(true)
      expect(check('x'.repeat(40))).toBe(false)
      expect(await counter(metrics, 'deliveries', { outcome: 'delivered' })).toBe(1)
    })

    it('retries a 500 and delivers once on the following 200, with the same delivery id and a fresh signature', async () => {
      receiver.script.push(500)
      const result = await sender().send(receiver.url(), { n: 1 })
      expect(result).toMatchObject({ outcome: 'delivered', attempts: 2, status: 200 })
      expect(receiver.received).toHaveLength(2)
      expect(new Set(receiver.received.map((request) => request.headers[WEBHOOK_HEADERS.delivery]))).toEqual(new Set([result.deliveryId]))
      for (const request of receiver.received) {
        expect(verifyWebhookSignature({ secret, body: request.body, timestamp: request.headers[WEBHOOK_HEADERS.timestamp] as string, deliveryId: request.headers[WEBHOOK_HEADERS.delivery] as string, signature: request.headers[WEBHOOK_HEADERS.signature] as string })).toBe(true)
      }
      expect(await counter(metrics, 'retries')).toBe(1)
      expect(await counter(metrics, 'deliveries', { outcome: 'delivered' })).toBe(1)
    })

    it('retries 429 and network errors, not other 4xx', async () => {
      receiver.script.push(429, 503)
      expect(await sender().send(receiver.url(), 1)).toMatchObject({ outcome: 'delivered', attempts: 3 })
      receiver.received.length = 0
      receiver.script.push(404)
      expect(await sender().send(receiver.url(), 2)).toMatchObject({ outcome: 'failed', attempts: 1, status: 404, error: { code: 'E_WEBHOOK_FAILED' } })
      expect(receiver.received).toHaveLength(1)
      receiver.script.push((res) => res.socket?.destroy())
      expect(await sender().send(receiver.url(), 3)).toMatchObject({ outcome: 'delivered', attempts: 2 })
    })

    it('stops after maxAttempts, failed, counting one retry fewer than attempts', async () => {
      receiver.script.push(503, 503, 503, 503, 503, 503)
      const result = await sender({ maxAttempts: 3 }).send(receiver.url(), {})
      expect(result).toMatchObject({ outcome: 'failed', attempts: 3, status: 503, error: { code: 'E_WEBHOOK_FAILED' } })
      expect(receiver.received).toHaveLength(3)
      expect(await counter(metrics, 'retries')).toBe(2)
      expect(await counter(metrics, 'deliveries', { outcome: 'failed' })).toBe(1)
    })

    it('gives up on an attempt that gets no answer within timeoutMs, and tries again', async () => {
      receiver.script.push(() => undefined)
      const result = await sender({ timeoutMs: 500 }).send(receiver.url(), {})
      // The first attempt was held unanswered; a later one got the 200.
      expect(result).toMatchObject({ outcome: 'delivered' })
      expect(result.attempts).toBeGreaterThanOrEqual(2)
      receiver.received.length = 0
      receiver.script.push(() => undefined, () => undefined)
      const failed = await sender({ timeoutMs: 300, maxAttempts: 2 }).send(receiver.url(), {})
      expect(failed).toMatchObject({ outcome: 'failed', attempts: 2, error: { message: expect.stringMatching(/no answer within 300 ms/) } })
      expect(receiver.received).toHaveLength(2)
    })

    it('closes the connection once the status is known, without reading a response body that never ends', async () => {
      let writing: NodeJS.Timeout | undefined
      receiver.script.push((res) => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        writing = setInterval(() => res.write('x'.repeat(1024)), 5)
        res.on('close', () => clearInterval(writing))
      })
      const result = await sender({ timeoutMs: 60_000 }).send(receiver.url(), {})
      expect(result).toMatchObject({ outcome: 'delivered', status: 200 })
      const deadline = Date.now() + 10_000
      while (receiver.open > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
      clearInterval(writing)
      expect(receiver.open).toBe(0)
    })

    it('does not follow a redirect', async () => {
      receiver.script.push((res) => res.writeHead(302, { location: '/elsewhere' }).end())
      const result = await sender().send(receiver.url(), {})
      expect(result).toMatchObject({ outcome: 'failed', attempts: 1, status: 302 })
      expect(receiver.received.map((request) => request.path)).toEqual(['/hook'])
    })

    it('refuses a malformed or non-http URL without a request', async () => {
      for (const url of ['not a url', 'ftp://127.0.0.1/x', 'http://user:pass@127.0.0.1/x']) {
        expect(await sender().send(url, {})).toMatchObject({ outcome: 'refused', attempts: 0, error: { code: 'E_WEBHOOK_REFUSED' } })
      }
      expect(receiver.received).toHaveLength(0)
    })

    it('cannot be made without a secret', () => {
      expect(() => new WebhookSender({ secret: undefined })).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
      expect(() => new WebhookSender({ secret: '' })).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
    })
  })

  describe('address guard', () => {
    it.each([
      ['127.0.0.1', () => receiver.url('127.0.0.1')],
      ['localhost (resolves to loopback)', () => receiver.url('localhost')],
      ['10.0.0.1', () => 'http://10.0.0.1:9/hook'],
      ['192.168.1.1', () => 'http://192.168.1.1/hook'],
      ['::1', () => 'http://[::1]:9/hook'],
      ['::ffff:127.0.0.1', () => `http://[::ffff:127.0.0.1]:${receiver.port}/hook`],
      ['169.254.169.254 (cloud metadata)', () => 'http://169.254.169.254/latest/meta-data'],
    ])('refuses %s without an allowlist, with E_WEBHOOK_REFUSED and no request made', async (_, url) => {
      const guarded = sender({ allowedHosts: [] })
      const result = await guarded.send(url(), { secret: 'payload' })
      expect(result).toMatchObject({ outcome: 'refused', error: { code: 'E_WEBHOOK_REFUSED', message: expect.stringMatching(/WEBHOOK_ALLOWED_HOSTS/) } })
      await expect(checkWebhookUrl(url(), guarded.privateTargetFilter)).rejects.toMatchObject({ code: 'E_WEBHOOK_REFUSED', status: 400 })
      expect(receiver.received).toHaveLength(0)
      expect(await counter(metrics, 'deliveries', { outcome: 'refused' })).toBe(1)
    })

    it('lets a host:port listed in the allowlist through, and only that host and port', async () => {
      const port = receiver.port
      expect(await sender({ allowedHosts: [`localhost:${port}`] }).send(receiver.url('localhost'), {})).toMatchObject({ outcome: 'delivered' })
      expect(await sender({ allowedHosts: [`localhost:${port}`] }).send(receiver.url('127.0.0.1'), {})).toMatchObject({ outcome: 'refused' })
      expect(await sender({ allowedHosts: [`LOCALHOST:${port}`] }).send(receiver.url('localhost'), {})).toMatchObject({ outcome: 'delivered' })
      expect(await sender({ allowedHosts: ['localhost:*'] }).send(receiver.url('localhost'), {})).toMatchObject({ outcome: 'delivered' })
      // Another port of the same host, and a bare host (standard ports only), are refused.
      expect(await sender({ allowedHosts: [`localhost:${port === 65_535 ? 1 : port + 1}`] }).send(receiver.url('localhost'), {})).toMatchObject({ outcome: 'refused' })
      expect(await sender({ allowedHosts: ['localhost'] }).send(receiver.url('localhost'), {})).toMatchObject({ outcome: 'refused' })
      await expect(checkWebhookUrl(receiver.url('127.0.0.1'), allowedHostsFilter([`127.0.0.1:${port}`]))).resolves.toBeInstanceOf(URL)
      await expect(checkWebhookUrl(receiver.url('127.0.0.1'), allowedHostsFilter(['127.0.0.1']))).rejects.toMatchObject({ code: 'E_WEBHOOK_REFUSED' })
      await expect(checkWebhookUrl('http://127.0.0.1/hook', allowedHostsFilter(['127.0.0.1']))).resolves.toBeInstanceOf(URL)
      await expect(checkWebhookUrl(`http://[::1]:${port}/hook`, allowedHostsFilter([`[::1]:${port}`]))).resolves.toBeInstanceOf(URL)
      expect(receiver.received).toHaveLength(3)
    })

    it('refuses a malformed allowlist entry with E_INVALID_CONFIG', () => {
      for (const entry of ['host:99999', 'http://host', 'a b', '[::1']) expect(() => allowedHostsFilter([entry])).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
    })

    it('tells the client the same thing for a private address and an unknown name, the details only to the log', async () => {
      const warnings: unknown[][] = []
      const logger = { warn: (...args: unknown[]) => warnings.push(args) }
      const refusals = await Promise.all(
        ['http://localhost:1/hook', 'http://no-such-host.invalid/hook', 'http://10.1.2.3/hook'].map((url) => checkWebhookUrl(url, allowedHostsFilter([]), { logger }).catch((error: Error) => error)),
      )
      const messages = refusals.map((error) => (error as Error).message)
      expect(new Set(messages).size).toBe(1)
      expect(messages[0]).not.toMatch(/127\.0\.0\.1|::1|resolve \(|10\.1\.2\.3/)
      expect(refusals[0]).toMatchObject({ code: 'E_WEBHOOK_REFUSED', status: 400 })
      expect(JSON.stringify(warnings)).toMatch(/127\.0\.0\.1|::1/)
      expect(JSON.stringify(warnings)).toMatch(/does not resolve/)
    })
  })

  describe('bounds and shutdown', () => {
    it('runs at most `concurrency` deliveries at once', async () => {
      const release: Array<() => void> = []
      for (let i = 0; i < 5; i++) receiver.script.push((res) => release.push(() => res.writeHead(200).end()))
      const webhooks = sender({ concurrency: 2 })
      const results = Promise.all(Array.from({ length: 5 }, (_, n) => webhooks.send(receiver.url(), { n })))
      for (let released = 0; released < 5; released++) {
        while (release.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
        expect(receiver.open).toBeLessThanOrEqual(2)
        release.shift()?.()
      }
      expect((await results).map((result) => result.outcome)).toEqual(Array(5).fill('delivered'))
      expect(receiver.mostOpen).toBe(2)
    })

    it('drops a delivery when the pending queue is full, counted and reported', async () => {
      let release!: () => void
      receiver.script.push((res) => (release = () => res.writeHead(200).end()))
      const warnings: unknown[] = []
      const logger = { warn: (message: string, meta: unknown) => warnings.push([message, meta]) } as unknown as WebhookSenderOptions['logger']
      const webhooks = sender({ concurrency: 1, maxPending: 1, logger })
      const first = webhooks.send(receiver.url(), 1)
      while (!release) await new Promise((resolve) => setTimeout(resolve, 5))
      const second = webhooks.send(receiver.url(), 2)
      const third = await webhooks.send(receiver.url(), 3)
      expect(third).toMatchObject({ outcome: 'dropped', attempts: 0, error: { code: 'E_OVERLOADED' } })
      expect(await counter(metrics, 'dropped')).toBe(1)
      expect(warnings).toEqual([['webhook dropped', expect.objectContaining({ delivery: third.deliveryId, host: `127.0.0.1:${receiver.port}` })]])
      release()
      expect((await Promise.all([first, second])).map((result) => result.outcome)).toEqual(['delivered', 'delivered'])
      expect(receiver.received.map((request) => JSON.parse(request.body))).toEqual([1, 2])
    })

    it('delivers with WEBHOOK_MAX_PENDING=0 while a slot is free, and drops only when every slot is busy', async () => {
      let release!: () => void
      receiver.script.push((res) => (release = () => res.writeHead(200).end()))
      const webhooks = sender({ concurrency: 1, maxPending: 0 })
      const first = webhooks.send(receiver.url(), 1)
      while (!release) await new Promise((resolve) => setTimeout(resolve, 5))
      expect(await webhooks.send(receiver.url(), 2)).toMatchObject({ outcome: 'dropped', error: { code: 'E_OVERLOADED' } })
      release()
      expect(await first).toMatchObject({ outcome: 'delivered' })
      expect(await webhooks.send(receiver.url(), 3)).toMatchObject({ outcome: 'delivered' })
      expect(receiver.received.map((request) => JSON.parse(request.body))).toEqual([1, 3])
    })

    it('gives the slot up while a delivery waits for its retry, so a failing receiver does not hold the others back', async () => {
      receiver.script.push(503)
      // random 0: the backoff is half its ceiling, 500 ms.
      const webhooks = sender({ concurrency: 1, retryBaseMs: 1000, retryMaxMs: 1000, random: () => 0 })
      const failing = webhooks.send(receiver.url('127.0.0.1', '/dead'), 'a')
      let failingDone = false
      void failing.then(() => (failingDone = true))
      const other = await webhooks.send(receiver.url('127.0.0.1', '/alive'), 'b')
      expect(other).toMatchObject({ outcome: 'delivered', attempts: 1 })
      expect(failingDone).toBe(false)
      expect(webhooks.size).toEqual({ pending: 0, retrying: 1, active: 0 })
      expect(await failing).toMatchObject({ outcome: 'delivered', attempts: 2 })
      expect(receiver.received.map((request) => request.path)).toEqual(['/dead', '/alive', '/dead'])
    })

    it('counts deliveries waiting for a retry against maxPending', async () => {
      receiver.script.push(503)
      const webhooks = sender({ concurrency: 1, maxPending: 0, retryBaseMs: 1000, retryMaxMs: 1000, random: () => 0 })
      const failing = webhooks.send(receiver.url(), 'a')
      while (webhooks.size.retrying === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      expect(await webhooks.send(receiver.url(), 'b')).toMatchObject({ outcome: 'dropped', error: { code: 'E_OVERLOADED' } })
      expect(await failing).toMatchObject({ outcome: 'delivered', attempts: 2 })
    })

    it('waits at shutdown for a delivery sitting out its backoff, and abandons it once the wait is over', async () => {
      receiver.script.push(503)
      const webhooks = sender({ retryBaseMs: 200, retryMaxMs: 200, random: () => 0 })
      const waited = webhooks.send(receiver.url(), 'a')
      while (webhooks.size.retrying === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      await webhooks.close(5000)
      expect(await waited).toMatchObject({ outcome: 'delivered', attempts: 2 })

      receiver.script.push(503)
      const impatient = sender({ retryBaseMs: 60_000, retryMaxMs: 60_000, random: () => 0 })
      const abandoned = impatient.send(receiver.url(), 'b')
      while (impatient.size.retrying === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      await impatient.close(50)
      expect(await abandoned).toMatchObject({ outcome: 'failed', attempts: 1, status: 503, error: { message: expect.stringMatching(/abandoned at shutdown/) } })
      expect(impatient.size).toEqual({ pending: 0, retrying: 0, active: 0 })
    })

    it('lets two callers of close() both wait for the same deliveries', async () => {
      receiver.script.push((res) => setTimeout(() => res.writeHead(200).end(), 100))
      const webhooks = sender()
      const delivery = webhooks.send(receiver.url(), 1)
      await Promise.all([webhooks.close(5000), webhooks.close(5000)])
      expect(webhooks.size).toEqual({ pending: 0, retrying: 0, active: 0 })
      expect(await delivery).toMatchObject({ outcome: 'delivered' })
    })

    it('waits at shutdown for deliveries in progress and queued, and takes no new ones', async () => {
      receiver.script.push((res) => setTimeout(() => res.writeHead(200).end(), 150))
      const webhooks = sender({ concurrency: 1 })
      const first = webhooks.send(receiver.url(), 1)
      const second = webhooks.send(receiver.url(), 2)
      await webhooks.close(5000)
      expect(webhooks.size).toEqual({ pending: 0, retrying: 0, active: 0 })
      expect((await Promise.all([first, second])).map((result) => result.outcome)).toEqual(['delivered', 'delivered'])
      expect(await webhooks.send(receiver.url(), 3)).toMatchObject({ outcome: 'dropped', error: { code: 'E_SHUTTING_DOWN' } })
      expect(receiver.received).toHaveLength(2)
    })

    it('stops waiting at shutdown after its timeout: the delivery in progress is abandoned, the queued one dropped', async () => {
      receiver.script.push(() => undefined)
      const webhooks = sender({ concurrency: 1, timeoutMs: 60_000 })
      const first = webhooks.send(receiver.url(), 1)
      const second = webhooks.send(receiver.url(), 2)
      while (receiver.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      await webhooks.close(100)
      expect(await first).toMatchObject({ outcome: 'failed', error: { message: expect.stringMatching(/abandoned at shutdown/) } })
      expect(await second).toMatchObject({ outcome: 'dropped', error: { code: 'E_SHUTTING_DOWN' } })
      expect(webhooks.size).toEqual({ pending: 0, retrying: 0, active: 0 })
    })
  })
})
