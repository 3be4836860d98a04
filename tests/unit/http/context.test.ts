import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { HttpContext } from '../../../framework/http/context'
import { createLogger } from '../../../framework/logger'
import { Writable } from 'node:stream'
import winston from 'winston'

function setup() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk))
      callback()
    },
  })
  const logger = createLogger({ name: 'test', transports: [new winston.transports.Stream({ stream, format: winston.format.json() })] })
  const req = new IncomingMessage(new Socket())
  req.method = 'POST'
  req.url = '/agents/echo?x=1'
  const res = new ServerResponse(req)
  return { lines, ctx: new HttpContext(req, res, logger), req, res }
}

describe('HttpContext close hooks', () => {
  it('runs every hook once, in order, when the response closes; a hook that throws is logged and the rest still run', () => {
    const { ctx, res, lines } = setup()
    const calls: string[] = []
    ctx.onClose(() => calls.push('first'))
    ctx.onClose(() => {
      throw new Error('hook broke')
    })
    ctx.onClose(() => calls.push('third'))
    expect(calls).toEqual([])
    res.emit('close')
    res.emit('close')
    expect(calls).toEqual(['first', 'third'])
    expect(lines.join('')).toContain('response close hook failed')
  })

  it('aborts the client signal when the response closes before it finished, not after', () => {
    const gone = setup()
    const signal = gone.ctx.clientSignal
    expect(signal.aborted).toBe(false)
    gone.res.emit('close')
    expect(signal.aborted).toBe(true)

    const finished = setup()
    const kept = finished.ctx.clientSignal
    Object.defineProperty(finished.res, 'writableFinished', { value: true })
    finished.res.emit('close')
    expect(kept.aborted).toBe(false)
  })

  it('clientGone tells a connection destroyed before the response completed', () => {
    const { ctx, req } = setup()
    expect(ctx.clientGone).toBe(false)
    req.socket.destroy()
    expect(ctx.clientGone).toBe(true)
    expect(ctx.clientSignal.aborted).toBe(true)
  })
})

describe('HttpContext client address', () => {
  it('is the peer for a request that did not come through Express, and is kept after the socket closes', () => {
    const socket = new Socket()
    Object.defineProperty(socket, 'remoteAddress', { get: () => (socket.destroyed ? undefined : '192.0.2.4') })
    const req = new IncomingMessage(socket)
    const ctx = new HttpContext(req, new ServerResponse(req), createLogger({ silent: true }))
    socket.destroy()
    expect(ctx.ip).toBe('192.0.2.4')
    expect(ctx.protocol).toBe('http')
    expect(ctx.requestContext().ip).toBe('192.0.2.4')
  })

  it("takes Express's req.ip and req.protocol, which apply TRUSTED_PROXIES to the forwarded headers", () => {
    const req = Object.assign(new IncomingMessage(new Socket()), { ip: '203.0.113.7', protocol: 'https' })
    const ctx = new HttpContext(req, new ServerResponse(req), createLogger({ silent: true }))
    expect(ctx.ip).toBe('203.0.113.7')
    expect(ctx.protocol).toBe('https')
    expect(ctx.requestContext().ip).toBe('203.0.113.7')
  })
})
