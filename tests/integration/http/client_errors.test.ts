import { maxHeaderSize } from 'node:http'
import { connect, type Socket } from 'node:net'
import { makeTestServer, type TestServer } from './support/app'
import { rawExchange, type ParsedResponse } from './support/raw_http'

/** The answer to a request Node's HTTP parser refused: the usual error body, its trace id the X-Request-Id. */
function expectJsonError(res: ParsedResponse | undefined, status: number, code: string): { code: string; message: string; trace_id: string } {
  expect(res?.status).toBe(status)
  expect(res!.headers['content-type']).toBe('application/json; charset=utf-8')
  expect(res!.headers.connection).toBe('close')
  const { error } = JSON.parse(res!.body)
  expect(error).toEqual({ code, message: expect.any(String), trace_id: expect.stringMatching(/^[0-9a-f-]{36}$/) })
  expect(res!.headers['x-request-id']).toBe(error.trace_id)
  return error
}

describe('requests refused by the Node HTTP parser', () => {
  let t: TestServer
  let port: number

  beforeAll(async () => {
    t = await makeTestServer({}, { timeouts: { headersMs: 300, requestMs: 600, keepAliveMs: 1000 } })
    port = (await t.server.listen(0, '127.0.0.1')).port
  })
  afterAll(() => t.close())

  it('answers Content-Length together with Transfer-Encoding with a JSON 400 and closes the connection', async () => {
    const { responses, closed } = await rawExchange(
      port,
      'POST /agents/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 12\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    )
    expect(responses).toHaveLength(1)
    const error = expectJsonError(responses[0], 400, 'E_BAD_REQUEST')
    expect(error.message).toMatch(/^Malformed HTTP request: .*Content-Length/)
    expect(closed).toBe(true)
  })

  it('answers the bytes past a too-small Content-Length with a JSON 400, after the request it did delimit', async () => {
    const { responses, closed } = await rawExchange(port, 'GET /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}{"smuggled":true}\r\n\r\n')
    const last = responses[responses.length - 1]
    const error = expectJsonError(last, 400, 'E_BAD_REQUEST')
    expect(error.message).toMatch(/^Malformed HTTP request: /)
    // The delimited request may or may not be answered before the connection closes; nothing else is.
    expect(responses.slice(0, -1).map((res) => res.status).every((status) => status === 200)).toBe(true)
    expect(closed).toBe(true)
  })

  it('answers oversized headers with a JSON 431', async () => {
    const { responses, closed } = await rawExchange(port, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    const error = expectJsonError(responses[0], 431, 'E_HEADERS_TOO_LARGE')
    expect(error.message).toBe(`Request headers exceed the limit of ${maxHeaderSize} bytes`)
    expect(closed).toBe(true)
  })

  it('answers headers that never finish with a JSON 408 once the headers timeout passes', async () => {
    const { responses, closed } = await rawExchange(port, 'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ')
    expectJsonError(responses[0], 408, 'E_REQUEST_TIMEOUT')
    expect(closed).toBe(true)
  })

  it('answers a body that never finishes with a JSON 408 once the request timeout passes', async () => {
    const { responses, closed } = await rawExchange(port, 'POST /agents/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"input":')
    expect(responses).toHaveLength(1)
    expectJsonError(responses[0], 408, 'E_REQUEST_TIMEOUT')
    expect(closed).toBe(true)
  })

  it('only destroys a connection the client reset: nothing is written to it', async () => {
    const server = t.server.nodeServer!
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve))
    const client = connect(port, '127.0.0.1')
    let received = ''
    client.on('data', (chunk) => (received += chunk))
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
    const socket = await accepted
    server.emit('clientError', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), socket)
    await closed
    expect(socket.destroyed).toBe(true)
    expect(received).toBe('')
  })
})
