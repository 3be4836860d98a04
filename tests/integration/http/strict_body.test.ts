import { request as httpRequest } from 'node:http'
import { gzipSync } from 'node:zlib'
import { makeTestServer, type TestServer } from './support/app'
import { chunk, rawRequest } from './support/raw_http'

/** A JSON run request whose query is `query`, as bytes: the parts around it are ASCII. */
function runBody(query: Buffer): Buffer {
  return Buffer.concat([Buffer.from('{"input":{"query":"'), query, Buffer.from('"}}')])
}

describe('JSON bodies are strict UTF-8', () => {
  let t: TestServer
  let port: number
  let runs: jest.SpyInstance

  beforeAll(async () => {
    t = await makeTestServer()
    port = (await t.server.listen(0, '127.0.0.1')).port
    runs = jest.spyOn(t.runner, 'invoke')
  })
  beforeEach(() => runs.mockClear())
  afterAll(() => t.close())

  /** Posts `body` byte for byte (supertest would serialise a Buffer as JSON). */
  function post(body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: { error?: { code: string; message: string }; output?: { response: string } } }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/agents/echo', headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (data: Buffer) => chunks.push(data))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }))
      })
      req.on('error', reject)
      req.end(body)
    })
  }

  /** Sends the body in chunked transfer encoding, one HTTP chunk per part. */
  function postInParts(parts: Buffer[]) {
    const head = 'POST /agents/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'
    return rawRequest(port, head, [...parts.map((part) => chunk(part)), Buffer.from('0\r\n\r\n')])
  }

  it.each([
    ['a lead byte followed by ASCII (C3 28)', [0xc3, 0x28]],
    ['a lone FF byte', [0xff]],
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an encoded UTF-16 surrogate', [0xed, 0xa0, 0x80]],
  ])('refuses %s with 400 E_BAD_REQUEST, and no run starts', async (_what, bytes) => {
    const res = await post(runBody(Buffer.from(bytes)))
    expect(res.status).toBe(400)
    expect(res.body.error?.code).toBe('E_BAD_REQUEST')
    expect(res.body.error?.message).toContain('UTF-8')
    expect(runs).not.toHaveBeenCalled()
  })

  it('refuses a multi-byte character cut off at the end of the body', async () => {
    const cut = Buffer.concat([Buffer.from('{"input":{"query":"hi"}}'), Buffer.from('€').subarray(0, 2)])
    const res = await post(cut)
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringContaining('UTF-8') })
    expect(runs).not.toHaveBeenCalled()
  })

  it('refuses invalid bytes sent across several chunks', async () => {
    const body = runBody(Buffer.from([0x61, 0xe2, 0x82, 0x28, 0x62]))
    const res = await postInParts([body.subarray(0, 20), body.subarray(20, 21), body.subarray(21)])
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringContaining('UTF-8') })
    expect(runs).not.toHaveBeenCalled()
  })

  it('refuses invalid bytes inside a compressed body', async () => {
    const res = await post(gzipSync(runBody(Buffer.from([0xff]))), { 'Content-Encoding': 'gzip' })
    expect(res.status).toBe(400)
    expect(res.body.error?.code).toBe('E_BAD_REQUEST')
    expect(res.body.error?.message).toContain('UTF-8')
    expect(runs).not.toHaveBeenCalled()
  })

  it('accepts multi-byte text whose characters are split across chunks, intact', async () => {
    const query = 'café € 😀 日本'
    const body = runBody(Buffer.from(query))
    // Cut inside "é" (2 bytes), "€" (3 bytes) and "😀" (4 bytes).
    const start = body.indexOf(Buffer.from('é'))
    const euro = body.indexOf(Buffer.from('€'))
    const emoji = body.indexOf(Buffer.from('😀'))
    const cuts = [0, start + 1, euro + 1, euro + 2, emoji + 1, emoji + 3, body.length]
    const parts = cuts.slice(1).map((end, i) => body.subarray(cuts[i], end))
    const res = await postInParts(parts)
    expect(res.status).toBe(200)
    expect(JSON.parse(Buffer.from(res.body, 'latin1').toString('utf8')).output.response).toBe(`Processed: ${query}`)
  })

  it('accepts a leading UTF-8 byte order mark and drops it', async () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), runBody(Buffer.from('hé'))])
    const res = await post(withBom)
    expect(res.status).toBe(200)
    expect(res.body.output?.response).toBe('Processed: hé')
  })

  it('refuses a byte order mark anywhere but at the start', async () => {
    const twice = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), runBody(Buffer.from('hi'))])
    const res = await post(twice)
    expect(res.status).toBe(400)
    expect(res.body.error?.code).toBe('E_BAD_REQUEST')
    expect(runs).not.toHaveBeenCalled()
  })

  it('refuses a UTF-16 body (its byte order mark is not UTF-8)', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"input":{"query":"hi"}}', 'utf16le')])
    const res = await post(utf16)
    expect(res.status).toBe(400)
    expect(res.body.error?.code).toBe('E_BAD_REQUEST')
    expect(runs).not.toHaveBeenCalled()
  })
})
