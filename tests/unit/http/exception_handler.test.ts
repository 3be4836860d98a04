import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import Transport from 'winston-transport'
import { E_OVERLOADED, E_RUNTIME, E_TIMEOUT, E_VALIDATION, E_BAD_REQUEST } from '../../../framework/errors'
import { HttpContext } from '../../../framework/http/context'
import { ExceptionHandler } from '../../../framework/http/exception_handler'
import { createLogger } from '../../../framework/logger'

class Capture extends Transport {
  records: Array<Record<string, unknown>> = []
  override log(info: Record<string, unknown>, done: () => void) {
    this.records.push(info)
    done()
  }
}

function setup(debug = false) {
  const capture = new Capture()
  const logger = createLogger({ level: 'info', transports: [capture] })
  return { capture, handler: new ExceptionHandler({ logger, debug, retryAfterSeconds: 3 }), logger }
}

const secretError = () => new Error('password authentication failed for postgres://app:s3cret@db:5432/prod in SELECT * FROM users')

describe('ExceptionHandler.render', () => {
  it('renders a client error with its code, message, trace id and details', () => {
    const { handler } = setup()
    const rendered = handler.render(new E_VALIDATION('Invalid input', { details: [{ path: 'query', message: 'Required' }] }), 'trace-1')
    expect(rendered.status).toBe(422)
    expect(rendered.body).toEqual({
      error: { code: 'E_VALIDATION', message: 'Invalid input', trace_id: 'trace-1', details: [{ path: 'query', message: 'Required' }] },
    })
  })

  it('hides the message of an unknown error behind E_RUNTIME and a generic 500', () => {
    const { handler } = setup()
    const rendered = handler.render(secretError(), 't')
    expect(rendered.status).toBe(500)
    expect(rendered.body.error.code).toBe('E_RUNTIME')
    const text = JSON.stringify(rendered.body)
    for (const leak of ['s3cret', 'postgres://', 'SELECT', 'at ']) expect(text).not.toContain(leak)
  })

  it('hides the internal message of a server-side Exception', () => {
    const { handler } = setup()
    const rendered = handler.render(new E_RUNTIME('pool exhausted on 10.0.0.5'), 't')
    expect(rendered.body.error.message).not.toContain('10.0.0.5')
    expect(rendered.body.error.stack).toBeUndefined()
  })

  it('keeps the client-safe messages of overload and timeout, with Retry-After for overload', () => {
    const { handler } = setup()
    const overloaded = handler.render(new E_OVERLOADED(), 't')
    expect(overloaded.status).toBe(503)
    expect(overloaded.headers['Retry-After']).toBe('3')
    expect(overloaded.body.error.message).toBe(new E_OVERLOADED().message)
    expect(handler.render(new E_TIMEOUT(30), 't').body.error).toMatchObject({ code: 'E_TIMEOUT', message: new E_TIMEOUT(30).message })
  })

  it('shows the real message and stack only when debug is on', () => {
    const { handler } = setup(true)
    const rendered = handler.render(secretError(), 't')
    expect(rendered.body.error.message).toContain('password authentication failed')
    expect(rendered.body.error.stack).toContain('Error:')
  })

  it('passes headers an error carries (for throttling) through to the response', () => {
    const { handler } = setup()
    const error = Object.assign(new E_BAD_REQUEST('slow down'), { headers: { 'X-RateLimit-Remaining': 0 } })
    expect(handler.render(error, 't').headers).toEqual({ 'X-RateLimit-Remaining': '0' })
  })
})

describe('ExceptionHandler.handle', () => {
  it('logs a server error in full with its request and trace ids, and answers with the safe body', () => {
    const { handler, capture, logger } = setup()
    const req = new IncomingMessage(new Socket())
    req.method = 'POST'
    req.url = '/agents/echo'
    const res = new ServerResponse(req)
    let written = ''
    res.end = ((chunk?: unknown) => {
      written = String(chunk ?? '')
      return res
    }) as typeof res.end
    const ctx = new HttpContext(req, res, logger)
    ctx.requestId = 'req-1'
    ctx.traceId = 'trace-1'
    handler.handle(secretError(), ctx)

    expect(res.statusCode).toBe(500)
    expect(JSON.parse(written)).toEqual({ error: { code: 'E_RUNTIME', message: 'Internal server error', trace_id: 'trace-1' } })
    const line = capture.records.find((record) => record.message === 'request failed')
    expect(line).toMatchObject({ level: 'error', requestId: 'req-1', traceId: 'trace-1' })
    expect(JSON.stringify(line)).toContain('password authentication failed')
    expect(JSON.stringify(line)).not.toContain('s3cret')
    expect(ctx.error).toEqual({ code: 'E_RUNTIME', status: 500 })
  })
})
