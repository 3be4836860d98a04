import { Writable } from 'node:stream'
import winston from 'winston'
import { createLogger, redact, redactString, REDACTED } from '../../../framework/logger'

function capture(format: 'json' | 'pretty' = 'json') {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk).trim())
      callback()
    },
  })
  const transport = new winston.transports.Stream({
    stream,
    format: format === 'json' ? winston.format.json() : undefined,
  })
  return { lines, logger: createLogger({ name: 'test', level: 'debug', transports: [transport] }) }
}

describe('logger', () => {
  it('writes JSON lines with timestamp, level, logger name, message and context', () => {
    const { lines, logger } = capture()
    logger.child({ requestId: 'req-1' }).child({ agent: 'EchoAgent' }).info('run finished', { durationMs: 3 })
    const line = JSON.parse(lines[0])
    expect(line).toMatchObject({ level: 'info', logger: 'test', message: 'run finished', requestId: 'req-1', agent: 'EchoAgent', durationMs: 3 })
    expect(typeof line.timestamp).toBe('string')
  })

  it('serializes an error with its code and stack', () => {
    const { lines, logger } = capture()
    const error = Object.assign(new Error('boom'), { code: 'E_X' })
    logger.error('failed', error)
    const line = JSON.parse(lines[0])
    expect(line.error).toMatchObject({ name: 'Error', message: 'boom', code: 'E_X' })
    expect(line.error.stack).toContain('logger.test.ts')
  })

  it('never writes secrets: redacts by key name, in URLs and bearer tokens', () => {
    const { lines, logger } = capture()
    logger.child({ authorization: 'Bearer abc.def.ghi' }).info('connecting to postgres://app:hunter22@db:5432/x', {
      password: 'hunter22',
      apiKey: 'lv_abcdefghijklmnopqrstuvwxyz123456',
      nested: { jwt_secret_key: 'zzz', safe: 'ok' },
      header: 'Bearer abcdefghijklmnop',
    })
    const raw = lines[0]
    expect(raw).not.toContain('hunter22')
    expect(raw).not.toContain('abc.def.ghi')
    expect(raw).not.toContain('lv_abcdefghijklmnopqrstuvwxyz123456')
    expect(raw).not.toContain('zzz')
    const line = JSON.parse(raw)
    expect(line.nested.safe).toBe('ok')
    expect(line.password).toBe(REDACTED)
  })

  it('never throws at its caller: a line that cannot be formatted is replaced by one saying so', () => {
    const { lines, logger } = capture()
    // A getter that throws stands for any field the formatter chokes on.
    const hostile = Object.defineProperty({}, 'value', { enumerable: true, get: () => { throw new Error('unreadable') } })
    expect(() => logger.child({ requestId: 'req-2' }).error('request failed', { detail: hostile })).not.toThrow()
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', message: 'log line dropped: it could not be formatted', requestId: 'req-2', reason: 'Error' })
    logger.info('still logging')
    expect(JSON.parse(lines[1]).message).toBe('still logging')
  })

  it('the built-in JSON format writes lines in the order given, and what JSON.stringify cannot write (a BigInt) as text', async () => {
    const written: string[] = []
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
      written.push(String(text))
      return true
    })
    try {
      const logger = createLogger({ name: 'json', format: 'json' })
      logger.child({ requestId: 'r-1' }).info('first', { n: 1, nested: { password: 'hunter22', ok: true } })
      logger.info('big', { count: 12345678901234567890n })
      await logger.flush()
    } finally {
      spy.mockRestore()
    }
    const [first, big] = written.join('').trim().split('\n')
    expect(Object.keys(JSON.parse(first)).slice(0, 5)).toEqual(['level', 'message', 'logger', 'requestId', 'n'])
    expect(JSON.parse(first).nested).toEqual({ password: REDACTED, ok: true })
    expect(JSON.parse(big)).toMatchObject({ message: 'big', count: '12345678901234567890' })
  })

  it('skips work for disabled levels', () => {
    const { lines, logger } = capture()
    const quiet = createLogger({ level: 'warn', transports: [new winston.transports.Stream({ stream: new Writable({ write: (_c, _e, cb) => cb() }) })] })
    expect(quiet.isLevelEnabled('debug')).toBe(false)
    logger.debug('visible at debug')
    expect(lines).toHaveLength(1)
  })
})

describe('redact', () => {
  it('handles cycles, depth and non-plain values', () => {
    const value: Record<string, unknown> = { when: new Date(0), list: [{ token: 't' }] }
    value.self = value
    expect(redact(value)).toEqual({ when: '1970-01-01T00:00:00.000Z', list: [{ token: REDACTED }], self: '[circular]' })
  })

  it('leaves text without secrets unchanged', () => {
    expect(redactString('GET /agents/echo 200')).toBe('GET /agents/echo 200')
  })
})
