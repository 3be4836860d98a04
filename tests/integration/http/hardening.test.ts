import { gzipSync } from 'node:zlib'
import request from 'supertest'
import { makeTestServer, type TestServer } from './support/app'
import { chunk, rawRequest } from './support/raw_http'

const LIMIT = 1024

describe('HTTP hardening', () => {
  let t: TestServer
  let port: number
  let http: ReturnType<typeof request>

  beforeAll(async () => {
    t = await makeTestServer({ MAX_REQUEST_BODY_BYTES: String(LIMIT), CORS_ORIGINS: 'https://app.example.com' }, { timeouts: { headersMs: 300, requestMs: 2000, keepAliveMs: 1000 } })
    port = (await t.server.listen(0, '127.0.0.1')).port
    http = request(t.server.express)
  })
  afterAll(() => t.close())

  describe('request ids', () => {
    it('keeps a well-formed X-Request-Id and uses it as the trace id of errors', async () => {
      const res = await http.post('/agents/nobody').set('X-Request-Id', 'client-id_1.2-3').send({ input: {} }).expect(404)
      expect(res.headers['x-request-id']).toBe('client-id_1.2-3')
      expect(res.body.error.trace_id).toBe('client-id_1.2-3')
    })

    it.each([
      ['spaces and markup', 'bad id <script>'],
      ['a log-injection attempt', 'x\\nlevel=error fake'],
      ['an overlong id', 'a'.repeat(129)],
    ])('replaces an id with %s by a generated one', async (_what, id) => {
      const res = await http.get('/health/live').set('X-Request-Id', id).expect(200)
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    })

    it('puts the request id on every log line of the request', async () => {
      await http.post('/agents/boom').set('X-Request-Id', 'log-line-id').send({ input: {} }).expect(500)
      const lines = t.logs.records.filter((record) => JSON.stringify(record).includes('log-line-id'))
      expect(lines.map((line) => line.message).sort()).toEqual(['request', 'request failed'])
      for (const line of lines) expect(line.requestId).toBe('log-line-id')
    })

    it('takes the trace id from a valid W3C traceparent', async () => {
      const res = await http.post('/agents/nobody').set('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01').send({ input: {} }).expect(404)
      expect(res.body.error.trace_id).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    })
  })

  describe('security headers', () => {
    it('sends helmet headers on successes and errors, and no X-Powered-By', async () => {
      for (const res of [await http.get('/health/live'), await http.get('/nope')]) {
        expect(res.headers['x-content-type-options']).toBe('nosniff')
        expect(res.headers['content-security-policy']).toContain("default-src 'none'")
        expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
        expect(res.headers['x-frame-options']).toBe('DENY')
        expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains')
        expect(res.headers['x-powered-by']).toBeUndefined()
      }
    })
  })

  describe('CORS', () => {
    it('allows a listed origin, with credentials and the request id exposed', async () => {
      const res = await http.get('/agents').set('Origin', 'https://app.example.com').expect(200)
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com')
      expect(res.headers['access-control-allow-credentials']).toBe('true')
      expect(res.headers['access-control-expose-headers']).toContain('X-Request-Id')
      expect(res.headers.vary).toContain('Origin')
    })

    it('sends no CORS headers to an unlisted origin', async () => {
      const res = await http.get('/agents').set('Origin', 'https://evil.example').expect(200)
      expect(res.headers['access-control-allow-origin']).toBeUndefined()
      expect(res.headers['access-control-allow-credentials']).toBeUndefined()
    })

    it('answers preflights: allowed methods for a listed origin, nothing for others', async () => {
      const ok = await http.options('/agents/echo').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'POST').expect(204)
      expect(ok.headers['access-control-allow-methods']).toContain('POST')
      expect(ok.headers['access-control-allow-headers']).toContain('Content-Type')
      const refused = await http.options('/agents/echo').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST').expect(204)
      expect(refused.headers['access-control-allow-origin']).toBeUndefined()
      expect(refused.headers['access-control-allow-methods']).toBeUndefined()
    })

    it('lets a browser send credentials, tracing and SSE headers, and read the request id and throttling headers', async () => {
      const preflight = await http
        .options('/agents/echo')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,x-api-key,content-type')
        .expect(204)
      const allowed = preflight.headers['access-control-allow-headers'].split(/,\s*/).map((name: string) => name.toLowerCase())
      expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-api-key', 'x-request-id', 'last-event-id', 'traceparent']))
      const res = await http.get('/agents').set('Origin', 'https://app.example.com').expect(200)
      const exposed = res.headers['access-control-expose-headers'].split(/,\s*/)
      expect(exposed).toEqual(expect.arrayContaining(['X-Request-Id', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After']))
    })

    it('never combines * with credentials', async () => {
      const wildcard = await makeTestServer({ CORS_ORIGINS: '*' })
      try {
        const res = await request(wildcard.server.express).get('/agents').set('Origin', 'https://any.example').expect(200)
        expect(res.headers['access-control-allow-origin']).toBe('*')
        expect(res.headers['access-control-allow-credentials']).toBeUndefined()
      } finally {
        await wildcard.close()
      }
    })
  })

  describe('request bodies', () => {
    it('answers malformed JSON with 400 and a clear message', async () => {
      const res = await http.post('/agents/echo').set('Content-Type', 'application/json').send('{"input": {"query": "hi"').expect(400)
      expect(res.body.error.code).toBe('E_BAD_REQUEST')
      expect(res.body.error.message).toMatch(/^Malformed JSON in request body/)
    })

    it.each([
      ['text/plain', 'hello'],
      ['application/x-www-form-urlencoded', 'input=1'],
      ['multipart/form-data; boundary=x', '--x--'],
      ['application/json; charset=latin1', '{"input":{}}'],
    ])('answers 415 for a %s body', async (type, body) => {
      const res = await http.post('/agents/echo').set('Content-Type', type).send(body).expect(415)
      expect(res.body.error.code).toBe('E_UNSUPPORTED_MEDIA_TYPE')
    })

    it('answers 400 for a POST without a body', async () => {
      const res = await http.post('/agents/echo').expect(400)
      expect(res.body.error.code).toBe('E_BAD_REQUEST')
    })

    it('accepts a body just under the limit', async () => {
      const query = 'q'.repeat(LIMIT - 40)
      const res = await http.post('/agents/echo').send({ input: { query } }).expect(200)
      expect(res.body.output.response).toBe(`Processed: ${query}`)
    })

    it('refuses a declared Content-Length over the limit before any of the body is sent', async () => {
      const res = await rawRequest(port, `POST /agents/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${LIMIT * 100}\r\n\r\n`)
      expect(res.status).toBe(413)
      expect(JSON.parse(res.body).error.code).toBe('E_PAYLOAD_TOO_LARGE')
      expect(res.headers.connection).toBe('close')
    })

    it('refuses a chunked body as soon as the bytes received pass the limit, while the client is still sending', async () => {
      const chunks = Array.from({ length: 50 }, () => chunk('a'.repeat(200)))
      const res = await rawRequest(port, 'POST /agents/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', chunks, 15)
      expect(res.status).toBe(413)
      // 1024 bytes pass after the sixth 200-byte chunk; the answer comes long before the 50th.
      expect(res.chunksBeforeResponse).toBeLessThan(15)
      expect(res.chunksSent).toBeLessThan(50)
    })

    it('does not let a lying (too small) Content-Length smuggle a larger body in', async () => {
      const payload = `{"input":{"query":"${'x'.repeat(LIMIT * 4)}"}}`
      const res = await rawRequest(port, `POST /agents/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n${payload}`)
      expect(res.status).toBe(400)
      expect(res.closed).toBe(true)
    })

    it('limits the decompressed size, so a gzip bomb stops at the limit', async () => {
      // Under the limit as sent (so neither Content-Length nor the bytes received refuse it), a hundred times over it inflated.
      const bomb = gzipSync(Buffer.from(`{"input":{"query":"${'0'.repeat(LIMIT * 100)}"}}`))
      expect(bomb.length).toBeLessThan(LIMIT)
      const head = `POST /agents/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: ${bomb.length}\r\nConnection: close\r\n\r\n`
      const res = await rawRequest(port, head, [bomb])
      expect(res.status).toBe(413)
      expect(JSON.parse(res.body).error.code).toBe('E_PAYLOAD_TOO_LARGE')
    })

    it('reads a small gzip body and refuses an unknown encoding', async () => {
      const body = gzipSync(Buffer.from(JSON.stringify({ input: { query: 'zipped' } })))
      const head = `POST /agents/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`
      const ok = await rawRequest(port, head, [body])
      expect(ok.status).toBe(200)
      expect(ok.body).toContain('Processed: zipped')
      await http.post('/agents/echo').set('Content-Type', 'application/json').set('Content-Encoding', 'zstd-ish').send('{}').expect(415)
    })

    it('answers an unsupported Content-Encoding with a 415 naming it and the encodings it accepts', async () => {
      const res = await http.post('/agents/echo').set('Content-Type', 'application/json').set('Content-Encoding', 'zstd').send('{}').expect(415)
      expect(res.body.error.code).toBe('E_UNSUPPORTED_MEDIA_TYPE')
      expect(res.body.error.message).toContain('Content-Encoding "zstd"')
      for (const supported of ['identity', 'gzip', 'deflate', 'br']) expect(res.body.error.message).toContain(supported)
      expect(res.body.error.message).not.toContain('content type')
      expect(res.headers['accept-encoding']).toBe('gzip, deflate, br')
    })

    it.each(['constructor', '__proto__', 'hasownproperty'])('refuses Content-Encoding: %s as unsupported, not as a server error', async (encoding) => {
      const res = await http.post('/agents/echo').set('Content-Type', 'application/json').set('Content-Encoding', encoding).send('{"input":{"query":"x"}}').expect(415)
      expect(res.body.error.message).toContain(`Content-Encoding "${encoding}"`)
    })

    it('drops __proto__ keys so a body cannot reach a prototype', async () => {
      await http.post('/agents/echo').set('Content-Type', 'application/json').send('{"input":{"query":"p","__proto__":{"polluted":true}},"__proto__":{"polluted":true}}').expect(200)
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    })
  })

  describe('agent paths', () => {
    it.each([
      '/agents/../../etc/passwd',
      '/agents/%2e%2e/%2e%2e/etc/passwd',
      '/agents/%2E%2E%2Fsecret',
      '/agents/echo%2f..%2f..%2fpackage.json',
      '/agents/..%5c..%5cwindows',
      '/agents/echo;rm',
      '/agents/ECHO',
      '/agents/echo/../boom',
    ])('answers 400 for %s before routing', async (path) => {
      const res = await rawRequest(port, `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 12\r\nConnection: close\r\n\r\n{"input":{}}`)
      expect(res.status).toBe(400)
      const body = JSON.parse(res.body)
      expect(body.error.code).toBe('E_BAD_REQUEST')
      expect(body.error.message).toMatch(/^Invalid agent path/)
    })

    it('does not run an agent reached through a traversal path', async () => {
      const before = t.runner.observations.started.length
      await rawRequest(port, 'GET /agents/slow/../echo/graph HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
      expect(t.runner.observations.started.length).toBe(before)
    })
  })

  describe('Node server timeouts', () => {
    it('sets header, request and keep-alive timeouts', () => {
      const server = t.server.nodeServer!
      expect(server.headersTimeout).toBe(300)
      expect(server.requestTimeout).toBe(2000)
      expect(server.keepAliveTimeout).toBe(1000)
    })

    it('drops a client that never finishes sending its headers', async () => {
      const res = await rawRequest(port, 'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ')
      expect(res.status).toBe(408)
    })
  })
})
