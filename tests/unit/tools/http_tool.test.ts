import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { z } from 'zod'
import { setHttpToolsAllowPrivate } from '../../../framework/tools/http_tool_settings'
import { httpTool, isPrivateAddress } from '../../../framework/tools'

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

describe('httpTool', () => {
  let server: Server
  let base: string
  const seen: Seen[] = []
  let handler: (req: IncomingMessage, res: ServerResponse) => void

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() })
        handler(req, res)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  beforeEach(() => {
    seen.length = 0
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok: true }))
    }
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('refuses loopback by default, without sending the request', async () => {
    const tool = httpTool({ name: 'get_status', description: 'Status', url: `${base}/status` })

    const error = await tool.call({}).catch((e: unknown) => e)

    expect(error).toMatchObject({ code: 'E_TOOL_FAILED', cause: expect.objectContaining({ reason: 'refused' }) })
    expect(seen).toHaveLength(0)
  })

  it('refuses a host name that resolves to a loopback address', async () => {
    const port = (server.address() as AddressInfo).port
    const tool = httpTool({ name: 'get_status', description: 'Status', url: `http://localhost:${port}/status`, retry: 2 })

    await expect(tool.call({})).rejects.toMatchObject({ code: 'E_TOOL_FAILED', cause: expect.objectContaining({ reason: 'refused' }) })
    expect(seen).toHaveLength(0)
  })

  it.each(['http://[::7f00:1]/status', 'http://[64:ff9b::127.0.0.1]/status', 'http://198.18.0.1/status', 'http://224.0.0.251/status', 'http://255.255.255.255/status'])(
    'refuses %s before sending anything',
    async (url) => {
      // fetch is stubbed: should the check ever let one through, nothing leaves this machine.
      const fetchSpy = jest.spyOn(globalThis, 'fetch').mockRejectedValue(new Error('must not be requested'))
      try {
        const tool = httpTool({ name: 'get_status', description: 'Status', url, schema: z.object({}) })

        await expect(tool.call({})).rejects.toMatchObject({ code: 'E_TOOL_FAILED', cause: expect.objectContaining({ reason: 'refused' }) })
        expect(fetchSpy).not.toHaveBeenCalled()
      } finally {
        fetchSpy.mockRestore()
      }
    },
  )

  it('allows private targets with allowPrivate, filling the URL template URL-encoded and the rest as query', async () => {
    const tool = httpTool({
      name: 'get_order',
      description: 'An order',
      url: `${base}/orders/{orderId}`,
      schema: z.object({ orderId: z.string(), expand: z.string().optional() }),
      headers: { authorization: 'Bearer t0k' },
      allowPrivate: true,
    })

    await expect(tool.call({ orderId: 'a/b c', expand: 'items' })).resolves.toEqual({ ok: true })

    expect(seen[0]).toMatchObject({ method: 'GET', url: '/orders/a%2Fb%20c?expand=items' })
    expect(seen[0].headers.authorization).toBe('Bearer t0k')
  })

  it('follows HTTP_TOOL_ALLOW_PRIVATE (set at boot) when the tool does not say', async () => {
    const tool = httpTool({ name: 'get_status', description: 'Status', url: `${base}/status` })
    setHttpToolsAllowPrivate(true)
    try {
      await expect(tool.call({})).resolves.toEqual({ ok: true })
    } finally {
      setHttpToolsAllowPrivate(false)
    }
    await expect(tool.call({})).rejects.toMatchObject({ code: 'E_TOOL_FAILED' })
  })

  it('sends the fields not in the URL as a JSON body for POST, and returns text bodies as text', async () => {
    handler = (_req, res) => {
      res.writeHead(201, { 'content-type': 'text/plain' })
      res.end('created')
    }
    const tool = httpTool({
      name: 'create_ticket',
      description: 'Create a ticket',
      method: 'POST',
      url: `${base}/queues/{queue}/tickets`,
      schema: z.object({ queue: z.string(), title: z.string() }),
      allowPrivate: true,
    })

    await expect(tool.call({ queue: 'billing', title: 'Refund' })).resolves.toBe('created')
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/queues/billing/tickets', body: '{"title":"Refund"}' })
    expect(seen[0].headers['content-type']).toBe('application/json')
  })

  it('stops reading a response past maxResponseBytes and fails with E_TOOL_FAILED', async () => {
    let cutOff!: (early: boolean) => void
    const closed = new Promise<boolean>((resolve) => (cutOff = resolve))
    handler = (_req, res) => {
      // True when the client hung up before the whole body was sent.
      res.on('close', () => cutOff(!res.writableEnded))
      res.writeHead(200, { 'content-type': 'text/plain' })
      // No content-length: the cap must hold while streaming, not only on the declared size.
      const chunk = 'x'.repeat(16 * 1024)
      let sent = 0
      const pump = () => {
        while (sent < 400 && res.write(chunk)) sent++
        if (sent < 400 && !res.destroyed) res.once('drain', pump)
        else if (!res.destroyed) res.end()
      }
      pump()
    }
    const tool = httpTool({ name: 'big', description: 'Big', url: `${base}/big`, maxResponseBytes: 64 * 1024, allowPrivate: true })

    await expect(tool.call({})).rejects.toMatchObject({ code: 'E_TOOL_FAILED', cause: expect.objectContaining({ reason: 'too_large' }) })
    await expect(closed).resolves.toBe(true)
  })

  it('refuses a declared Content-Length above the cap before reading', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(10_000) })
      res.end('y'.repeat(10_000))
    }
    const tool = httpTool({ name: 'big', description: 'Big', url: `${base}/big`, maxResponseBytes: 100, allowPrivate: true })

    await expect(tool.call({})).rejects.toMatchObject({ code: 'E_TOOL_FAILED', cause: expect.objectContaining({ reason: 'too_large' }) })
  })

  it('times out a request that gets no answer with E_TOOL_TIMEOUT', async () => {
    handler = () => undefined
    const tool = httpTool({ name: 'slow', description: 'Slow', url: `${base}/slow`, timeoutMs: 150, allowPrivate: true })

    await expect(tool.call({})).rejects.toMatchObject({ code: 'E_TOOL_TIMEOUT' })
  })

  it('retries 5xx answers but not 4xx', async () => {
    let calls = 0
    handler = (_req, res) => {
      calls++
      res.writeHead(calls === 1 ? 503 : 200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ calls }))
    }
    const flaky = httpTool({ name: 'flaky', description: 'Flaky', url: `${base}/flaky`, retry: { retries: 2, baseDelayMs: 1 }, allowPrivate: true })
    await expect(flaky.call({})).resolves.toEqual({ calls: 2 })

    handler = (_req, res) => {
      res.writeHead(404)
      res.end('no such thing')
    }
    seen.length = 0
    const missing = httpTool({ name: 'missing', description: 'Missing', url: `${base}/missing`, retry: { retries: 2, baseDelayMs: 1 }, allowPrivate: true })
    await expect(missing.call({})).rejects.toMatchObject({ code: 'E_TOOL_FAILED', cause: expect.objectContaining({ reason: 'status', status: 404 }) })
    expect(seen).toHaveLength(1)
  })

  it('follows redirects, checking every hop: a redirect to a private address is refused', async () => {
    handler = (req, res) => {
      if (req.url === '/final') {
        res.writeHead(200, { 'content-type': 'application/json' })
        return res.end('{"arrived":true}')
      }
      res.writeHead(302, { location: req.url === '/start' ? '/final' : 'http://169.254.169.254/latest/meta-data/' })
      res.end()
    }
    // Only the test server's own address is allowed, as an application would allow one internal service.
    const onlyTestServer = ({ address }: { address: string }) => address === '127.0.0.1'
    const tool = (path: string) => httpTool({ name: 'follow', description: 'Follow', url: `${base}${path}`, allowPrivate: onlyTestServer })

    await expect(tool('/start').call({})).resolves.toEqual({ arrived: true })
    seen.length = 0
    await expect(tool('/to-metadata').call({})).rejects.toMatchObject({ code: 'E_TOOL_FAILED', cause: expect.objectContaining({ reason: 'refused' }) })
    expect(seen.map((s) => s.url)).toEqual(['/to-metadata'])
  })

  it('drops credentials and the configured headers on a redirect to another origin, keeping them on the same origin', async () => {
    // A second server on another port: a different origin, as another host would be.
    const other: Seen[] = []
    const elsewhere = createServer((req, res) => {
      other.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"elsewhere":true}')
    })
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve))
    const elsewhereBase = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`
    handler = (req, res) => {
      if (req.url === '/final') {
        res.writeHead(200, { 'content-type': 'application/json' })
        return res.end('{"arrived":true}')
      }
      res.writeHead(req.url === '/post' ? 307 : 302, { location: req.url === '/same' ? '/final' : `${elsewhereBase}/landing` })
      res.end()
    }
    const configured = { authorization: 'Bearer t0k', 'x-api-key': 'k-123', 'x-tenant': 'acme', cookie: 'sid=1', 'proxy-authorization': 'Basic cHJveHk6cHc=', 'user-agent': 'custom-agent' }
    const tool = (path: string, method: 'GET' | 'POST' = 'GET') =>
      httpTool({ name: 'follow', description: 'Follow', method, url: `${base}${path}`, headers: configured, schema: z.object({ note: z.string().optional() }), allowPrivate: true })

    try {
      await expect(tool('/same').call({})).resolves.toEqual({ arrived: true })
      await expect(tool('/away').call({})).resolves.toEqual({ elsewhere: true })
      await expect(tool('/post', 'POST').call({ note: 'kept' })).resolves.toEqual({ elsewhere: true })
    } finally {
      elsewhere.closeAllConnections()
      await new Promise((resolve) => elsewhere.close(resolve))
    }

    // Same origin: every header went to both hops.
    expect(seen.filter((s) => s.url === '/final').map((s) => s.headers.authorization)).toEqual(['Bearer t0k'])
    expect(seen.map((s) => s.headers['x-api-key'])).toEqual(['k-123', 'k-123', 'k-123', 'k-123'])
    // Another origin: none of the credentials nor the tool's own headers; the defaults again.
    expect(other).toHaveLength(2)
    for (const hop of other) {
      for (const name of Object.keys(configured)) if (name !== 'user-agent') expect(hop.headers[name]).toBeUndefined()
      expect(hop.headers['user-agent']).toBe('langvel-http-tool')
    }
    // A 307 keeps the method and the JSON body.
    expect(other[1]).toMatchObject({ method: 'POST' })
    expect(other[1].headers['content-type']).toBe('application/json')
  })

  it('rejects a URL placeholder the schema does not declare, at definition', () => {
    expect(() => httpTool({ name: 'bad', description: 'Bad', url: `${base}/{id}`, schema: z.object({ other: z.string() }) })).toThrow(/\{id\}/)
  })

  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['0.0.0.0', true],
    ['8.8.8.8', false],
    ['::1', true],
    ['::', true],
    ['fd12::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:0:10.0.0.1', true],
    ['::127.0.0.1', true],
    ['::7f00:1', true],
    ['::a00:1', true],
    ['::8.8.8.8', true],
    ['64:ff9b::7f00:1', true],
    ['64:ff9b::127.0.0.1', true],
    ['64:ff9b::192.168.1.1', true],
    ['64:ff9b::a9fe:a9fe', true],
    ['64:ff9b::8.8.8.8', false],
    ['64:ff9b:1::a00:1', true],
    ['2002:7f00:1::1', true],
    ['2002:808:808::1', false],
    ['198.18.0.1', true],
    ['198.19.255.255', true],
    ['198.20.0.1', false],
    ['224.0.0.1', true],
    ['239.255.255.250', true],
    ['240.0.0.1', true],
    ['255.255.255.255', true],
    ['223.255.255.255', false],
    ['ff02::1', true],
    ['ff0e::101', true],
    ['fc00::1', true],
    ['fdff:ffff::1', true],
    ['fec0::1', true],
    ['2606:4700::1111', false],
    ['2001:4860:4860::8888', false],
  ])('classifies %s as private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected)
  })
})
