import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { GuardedTransport, McpMessageTooLargeError, violation } from '../../../framework/mcp/guarded_transport'

/*
 * The guard between the SDK's Client and a transport, on the SDK's own
 * in-memory transport pair: the far end is either a real McpServer or the
 * test writing raw JSON-RPC messages.
 */

/** The guard on one end of a linked pair; what reaches the client side is recorded. */
async function guarded(maxMessageBytes = 1000) {
  const [near, far] = InMemoryTransport.createLinkedPair()
  const guard = new GuardedTransport(near, maxMessageBytes)
  const received: JSONRPCMessage[] = []
  const errors: Error[] = []
  let closed = 0
  guard.onmessage = (message) => received.push(message)
  guard.onerror = (error) => errors.push(error)
  guard.onclose = () => (closed += 1)
  const sentToFar: JSONRPCMessage[] = []
  far.onmessage = (message) => sentToFar.push(message)
  await far.start()
  await guard.start()
  return { guard, near, far, received, errors, sentToFar, closed: () => closed }
}

/** Lets the in-memory pair finish closing (its close() is asynchronous). */
const settled = () => new Promise((done) => setImmediate(done))

const request = (id: number, method = 'tools/list'): JSONRPCMessage => ({ jsonrpc: '2.0', id, method, params: {} })
const response = (id: number): JSONRPCMessage => ({ jsonrpc: '2.0', id, result: {} })

describe('GuardedTransport', () => {
  it('is transparent to a whole session of the SDK client with a real McpServer', async () => {
    const [near, far] = InMemoryTransport.createLinkedPair()
    const server = new McpServer({ name: 'in-memory', version: '2.0.0' })
    server.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }))
    await server.connect(far)
    const guard = new GuardedTransport(near, 1_000_000)
    const client = new Client({ name: 'test', version: '1.0.0' })

    await client.connect(guard)
    const result = await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })

    expect(client.getServerVersion()).toMatchObject({ name: 'in-memory', version: '2.0.0' })
    expect(result.content).toEqual([{ type: 'text', text: '3' }])
    expect(guard.fault).toBeUndefined()
    await client.close()
  })

  it('passes on the reply to a request it sent, and requests and notifications from the server', async () => {
    const { guard, far, received, sentToFar } = await guarded()

    await guard.send(request(1))
    await far.send(response(1))
    await far.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' })
    await far.send({ jsonrpc: '2.0', id: 'server-1', method: 'ping' })

    expect(sentToFar).toEqual([request(1)])
    expect(received).toEqual([response(1), { jsonrpc: '2.0', method: 'notifications/tools/list_changed' }, { jsonrpc: '2.0', id: 'server-1', method: 'ping' }])
    expect(guard.fault).toBeUndefined()
  })

  it('ends the session on a reply to a request never sent: fault kept, onerror told, transport closed, later messages ignored', async () => {
    const { guard, near, far, received, errors, closed } = await guarded()
    await guard.send(request(1))

    await far.send(response(987654))
    await settled()

    expect(guard.fault).toEqual({ reason: 'a response for request id 987654, which was never sent' })
    expect(errors.map((error) => error.message)).toEqual(['protocol violation: a response for request id 987654, which was never sent'])
    expect(closed()).toBeGreaterThan(0) // the in-memory pair reports its close more than once
    // What the transport still delivers (already read) is not passed on.
    near.onmessage?.(response(1))
    expect(received).toEqual([])
  })

  it('drops a second reply to a request quietly: late, not wrong', async () => {
    const { guard, far, received, errors } = await guarded()
    await guard.send(request(7))

    await far.send(response(7))
    await far.send(response(7))

    expect(received).toEqual([response(7)])
    expect(errors).toEqual([])
    expect(guard.fault).toBeUndefined()
  })

  it('does not count its own replies to server requests as requests', async () => {
    const { guard, far, received } = await guarded()

    await guard.send({ jsonrpc: '2.0', id: 3, result: {} })
    await far.send(response(3))

    expect(guard.fault?.reason).toBe('a response for request id 3, which was never sent')
    expect(received).toEqual([])
  })

  it('turns a transport error that is a protocol violation into a fault; passes an I/O error on as it is', async () => {
    const { guard, near, errors, closed } = await guarded(4096)
    const io = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })

    near.onerror?.(io)
    expect(guard.fault).toBeUndefined()
    expect(errors).toEqual([io])

    near.onerror?.(new Error('ReadBuffer exceeded maximum size of 4096 bytes'))
    await settled()
    expect(guard.fault).toEqual({ reason: 'a message larger than the limit of 4096 bytes' })
    expect(closed()).toBeGreaterThan(0) // the in-memory pair reports its close more than once
  })
})

describe('violation()', () => {
  it.each([
    ['a message over the HTTP limit', new McpMessageTooLargeError(10), 'a message larger than the limit of 10 bytes'],
    ['the same, as the SDK rewraps it', new Error('SSE stream disconnected: McpMessageTooLargeError: a message larger than the limit of 10 bytes'), 'a message larger than the limit of 10 bytes'],
    ['the stdio read buffer full', new Error('ReadBuffer exceeded maximum size of 10 bytes'), 'a message larger than the limit of 10 bytes'],
    ['a line that is not JSON', new SyntaxError('Unexpected token h'), 'a message that is not JSON (Unexpected token h)'],
    ['JSON that is not JSON-RPC', Object.assign(new Error('invalid'), { name: 'ZodError', issues: [] }), 'a message that is not valid JSON-RPC'],
    ['a violation as the cause', new Error('outer', { cause: new SyntaxError('bad') }), 'a message that is not JSON (bad)'],
  ])('%s', (_name, error, reason) => {
    expect(violation(error, 10)).toBe(reason)
  })

  it('is undefined for I/O errors and non-errors', () => {
    expect(violation(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }), 10)).toBeUndefined()
    expect(violation('a string', 10)).toBeUndefined()
    expect(violation(undefined, 10)).toBeUndefined()
  })
})
