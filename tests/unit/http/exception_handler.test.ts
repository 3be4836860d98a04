import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import Transport from 'winston-transport'
import { E_OVERLOADED, E_RUNTIME, E_SERVICE_UNAVAILABLE, E_TIMEOUT, E_VALIDATION, E_BAD_REQUEST } from '../../../framework/errors'
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

  it('never copies headers from an error that is not Langvel\'s (an SDK error carrying the response it received)', () => {
    const { handler } = setup()
    const sdkError = Object.assign(new Error('upstream said no'), { headers: { 'set-cookie': 'upstream=1', 'x-upstream-secret': 'k' } })
    expect(handler.render(sdkError, 't').headers).toEqual({})
    const dropped = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:6379'), { code: 'ECONNREFUSED', headers: { 'x-upstream-secret': 'k' } })
    expect(handler.render(dropped, 't').headers).not.toHaveProperty('x-upstream-secret')
  })
})

describe('ExceptionHandler.render of unreachable services', () => {
  const netError = (code: string, message: string) => Object.assign(new Error(message), { code, errno: -111, syscall: 'connect', address: '10.0.0.7', port: 6380 })
  const MaxRetriesPerRequestError = require('ioredis/built/errors/MaxRetriesPerRequestError').default

  it.each([
    ['ioredis MaxRetriesPerRequestError', () => new MaxRetriesPerRequestError(2), 'Redis'],
    ['ioredis "Connection is closed."', () => new Error('Connection is closed.'), 'Redis'],
    ['ioredis "Command timed out" (a hung Redis)', () => new Error('Command timed out'), 'Redis'],
    ['pg "Connection terminated unexpectedly"', () => new Error('Connection terminated unexpectedly'), 'The database'],
    ['pg-pool connection timeout', () => new Error('Connection terminated due to connection timeout', { cause: new Error('timeout') }), 'The database'],
    ['pg 57P01 admin_shutdown', () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 'The database'],
    ['pg 08006 connection_failure', () => Object.assign(new Error('connection failure'), { code: '08006' }), 'The database'],
    ['knex pool timeout', () => Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' }), 'The database'],
    ['ECONNREFUSED', () => netError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.7:6380'), 'A service the run depends on'],
    ['ETIMEDOUT', () => netError('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.7:6380'), 'A service the run depends on'],
    ['an AggregateError of refused connections', () => new AggregateError([netError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.7:6380')], ''), 'A service the run depends on'],
    ['a refused connection as the cause of a wrapper', () => new Error('checkpoint write failed', { cause: netError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.7:6380') }), 'A service the run depends on'],
  ])('answers %s with 503 E_SERVICE_UNAVAILABLE and Retry-After, naming no host', (_what, make, service) => {
    const { handler } = setup()
    const rendered = handler.render(make(), 't')
    expect(rendered.status).toBe(503)
    expect(rendered.headers['Retry-After']).toBe('3')
    expect(rendered.body).toEqual({ error: { code: 'E_SERVICE_UNAVAILABLE', message: `${service} is unavailable`, trace_id: 't' } })
    for (const leak of ['10.0.0.7', '6380']) expect(JSON.stringify(rendered.body)).not.toContain(leak)
  })

  it('shows the driver message, host included, only with debug on', () => {
    const { handler } = setup(true)
    const rendered = handler.render(netError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.7:6380'), 't')
    expect(rendered.status).toBe(503)
    expect(rendered.body.error.message).toBe('A service the run depends on is unavailable: connect ECONNREFUSED 10.0.0.7:6380')
    expect(rendered.body.error.stack).toContain('Error:')
  })

  it('leaves a bug alone even when its message mentions a refused connection', () => {
    const { handler } = setup()
    expect(handler.render(secretError(), 't').status).toBe(500)
    expect(handler.render(new Error('connect ECONNREFUSED 10.0.0.7:5432'), 't').body.error.code).toBe('E_RUNTIME')
  })

  it('leaves a typed Langvel error alone even when its cause is a connection failure', () => {
    const { handler } = setup()
    const rendered = handler.render(new E_RUNTIME('wrapped', { cause: netError('ECONNREFUSED', 'x') }), 't')
    expect(rendered).toMatchObject({ status: 500, body: { error: { code: 'E_RUNTIME' } } })
  })

  it('shows the client-safe message of an E_SERVICE_UNAVAILABLE raised by a store, with Retry-After', () => {
    const { handler } = setup()
    const rendered = handler.render(new E_SERVICE_UNAVAILABLE('The authentication store'), 't')
    expect(rendered.body.error).toMatchObject({ code: 'E_SERVICE_UNAVAILABLE', message: 'The authentication store is unavailable' })
    expect(rendered.headers['Retry-After']).toBe('3')
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
