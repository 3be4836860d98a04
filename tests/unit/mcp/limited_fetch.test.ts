import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js'
import { McpMessageTooLargeError } from '../../../framework/mcp/guarded_transport'
import { RequestAborts, limitedFetch } from '../../../framework/mcp/limited_fetch'

/** A fetch answering with `chunks` as the body, one read each. */
function serving(chunks: Array<string | Uint8Array>, init: ResponseInit = { status: 200, headers: { 'content-type': 'text/event-stream' } }): FetchLike {
  return async () => {
    const encoder = new TextEncoder()
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk)
        controller.close()
      },
    })
    return new Response(body, init)
  }
}

/** Each byte of `text` as its own chunk: every boundary falls between chunks somewhere. */
const byteByByte = (text: string) => [...new TextEncoder().encode(text)].map((byte) => new Uint8Array([byte]))

async function read(limit: number, chunks: Array<string | Uint8Array>, init?: ResponseInit): Promise<string> {
  const response = await limitedFetch(limit, { base: serving(chunks, init) })('http://127.0.0.1/mcp')
  return response.text()
}

const EVENT = 'data: 0123456789\n\n' // 18 bytes

describe('limitedFetch', () => {
  it('passes a body within the limit through unchanged, with its status and headers', async () => {
    const response = await limitedFetch(100, { base: serving(['{"jsonrpc":', '"2.0"}'], { status: 202, statusText: 'Accepted', headers: { 'mcp-session-id': 'abc' } }) })('http://127.0.0.1/mcp')

    expect(response.status).toBe(202)
    expect(response.statusText).toBe('Accepted')
    expect(response.headers.get('mcp-session-id')).toBe('abc')
    expect(await response.text()).toBe('{"jsonrpc":"2.0"}')
  })

  it('takes a JSON body of exactly the limit and refuses one byte more', async () => {
    const body = `{"a":"${'x'.repeat(14)}"}` // 22 bytes
    await expect(read(22, [body.slice(0, 5), body.slice(5)])).resolves.toBe(body)
    await expect(read(21, [body.slice(0, 5), body.slice(5)])).rejects.toBeInstanceOf(McpMessageTooLargeError)
  })

  it('errors with McpMessageTooLargeError naming the limit once one message passes it', async () => {
    const error = await read(1000, ['data: ', 'x'.repeat(600), 'x'.repeat(600), '\n\n']).catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(McpMessageTooLargeError)
    expect((error as Error).message).toBe('a message larger than the limit of 1000 bytes')
  })

  it('bounds an event stream event by event: many small events pass, whatever their total', async () => {
    const stream = EVENT.repeat(50)

    await expect(read(20, [stream])).resolves.toBe(stream)
    await expect(read(20, byteByByte(stream))).resolves.toBe(stream)
  })

  it('finds an LF LF boundary split between chunks', async () => {
    await expect(read(20, ['data: 0123456789\n', '\ndata: 0123456789\n\n'])).resolves.toBe(EVENT + EVENT)
  })

  it.each([
    ['after CR', ['data: 0123456789\r', '\n\r\ndata: 0123456789\r\n\r\n']],
    ['after the first CRLF', ['data: 0123456789\r\n', '\r\ndata: 0123456789\r\n\r\n']],
    ['before the last LF', ['data: 0123456789\r\n\r', '\ndata: 0123456789\r\n\r\n']],
    ['byte by byte', byteByByte('data: 0123456789\r\n\r\ndata: 0123456789\r\n\r\n')],
  ])('finds a CRLF CRLF boundary split %s', async (_where, chunks) => {
    await expect(read(22, chunks)).resolves.toBe('data: 0123456789\r\n\r\n'.repeat(2))
  })

  it('does not take single line ends for a boundary: one long event of many lines is one message', async () => {
    const event = `${'data: 0123456789\n'.repeat(3)}\n`

    await expect(read(40, byteByByte(event))).rejects.toBeInstanceOf(McpMessageTooLargeError)
    await expect(read(60, byteByByte(event))).resolves.toBe(event)
  })

  it('refuses an event over the limit that follows small ones in its own chunks', async () => {
    await expect(read(30, [EVENT, EVENT, `data: ${'y'.repeat(40)}`, '\n\n'])).rejects.toBeInstanceOf(McpMessageTooLargeError)
  })

  it.each([
    ['alone', [`data: ${'y'.repeat(40)}\n\n`]],
    ['after small events', [EVENT, EVENT, `data: ${'y'.repeat(40)}\n\n`]],
    ['in one chunk with small events', [EVENT + `data: ${'y'.repeat(40)}\n\n` + EVENT]],
    ['several lines in one chunk', [`${'data: 0123456789\n'.repeat(3)}\n`]],
  ])('refuses an event over the limit that arrives whole in one chunk (%s)', async (_case, chunks) => {
    await expect(read(30, chunks)).rejects.toBeInstanceOf(McpMessageTooLargeError)
  })

  it('returns a response without a body as it is', async () => {
    const response = await limitedFetch(10, { base: async () => new Response(null, { status: 202 }) })('http://127.0.0.1/mcp')

    expect(response.status).toBe(202)
    expect(response.body).toBeNull()
  })

  it('counts a body that is not an event stream as one message, blank lines or not', async () => {
    const json = { status: 200, headers: { 'content-type': 'application/json' } }
    const body = `{"content":[${Array.from({ length: 10 }, () => '{"text":"0123456789"},\n\n').join('')}{}]}`

    await expect(read(50, [body], json)).rejects.toBeInstanceOf(McpMessageTooLargeError)
    await expect(read(body.length, [body], json)).resolves.toBe(body)
  })

  it('closes the response of a request when it is aborted by its JSON-RPC id, and forgets it once read', async () => {
    const aborts = new RequestAborts()
    // A server that sends one event and then holds the stream open.
    const base: FetchLike = async (_url, init) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(EVENT))
          init?.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')))
        },
      })
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } })
    }
    const fetchLimited = limitedFetch(1000, { aborts, base })
    const response = await fetchLimited('http://127.0.0.1/mcp', { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call' }) })
    expect(aborts.size).toBe(1)
    const reading = response.text()

    aborts.abort(7)

    await expect(reading).rejects.toThrow()
    expect(aborts.size).toBe(0)
    // A notification has no id: nothing to track.
    await fetchLimited('http://127.0.0.1/mcp', { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })
    expect(aborts.size).toBe(0)
  })
})
