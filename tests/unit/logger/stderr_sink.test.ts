import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import winston from 'winston'
import { Output } from '../../../framework/console/output'
import { LineSink, SinkTransport, createLogger, stderrSink } from '../../../framework/logger'

const ROOT = join(__dirname, '..', '..', '..')
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

function recordingSink() {
  const writes: string[] = []
  return { writes, sink: new LineSink(() => ({ write: (text: string) => writes.push(text) })) }
}

describe('LineSink', () => {
  it('writes the lines of one event-loop turn together, in order, once the turn ends', async () => {
    const { writes, sink } = recordingSink()
    sink.write('a\n')
    sink.write('b\n')
    sink.write('c\n')
    expect(writes).toEqual([])
    expect(sink.size).toBe(3)
    await nextTurn()
    expect(writes).toEqual(['a\nb\nc\n'])
    sink.write('d\n')
    await nextTurn()
    expect(writes).toEqual(['a\nb\nc\n', 'd\n'])
    expect(sink.size).toBe(0)
  })

  it('flush() writes what is pending at once, and the scheduled flush then writes nothing more', async () => {
    const { writes, sink } = recordingSink()
    sink.write('a\n')
    sink.flush()
    expect(writes).toEqual(['a\n'])
    await nextTurn()
    expect(writes).toEqual(['a\n'])
  })
})

describe('SinkTransport', () => {
  it('carries winston-formatted lines to its sink, one per log call', async () => {
    const { writes, sink } = recordingSink()
    const logger = createLogger({ name: 'test', transports: [new SinkTransport({ sink, format: winston.format.json() })] })
    logger.info('first', { n: 1 })
    logger.warn('second')
    await nextTurn()
    const lines = writes.join('').trim().split('\n').map((line) => JSON.parse(line))
    expect(lines).toMatchObject([
      { level: 'info', message: 'first', n: 1, logger: 'test' },
      { level: 'warn', message: 'second' },
    ])
  })

  it('logger.flush() writes the shared stderr sink before resolving', async () => {
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const logger = createLogger({ name: 'flush-test', format: 'json' })
      logger.info('pending line')
      expect(stderrSink.size).toBeGreaterThan(0)
      await logger.flush()
      expect(stderrSink.size).toBe(0)
      expect(spy.mock.calls.map(([text]) => String(text)).join('')).toContain('"message":"pending line"')
    } finally {
      spy.mockRestore()
    }
  })
})

describe('stderr ordering and exit', () => {
  it('CLI error text written after a log line comes after it', () => {
    const written: string[] = []
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
      written.push(String(text))
      return true
    })
    try {
      createLogger({ name: 'order', format: 'json' }).warn('logged first')
      const stderr = new PassThrough()
      stderr.on('data', (chunk) => written.push(String(chunk)))
      new Output({ stderr, colors: false }).error('printed second')
      const text = written.join('')
      expect(text.indexOf('logged first')).toBeGreaterThanOrEqual(0)
      expect(text.indexOf('logged first')).toBeLessThan(text.indexOf('printed second'))
    } finally {
      spy.mockRestore()
    }
  })

  it('lines still pending when the process exits are written before it ends', () => {
    const script = [
      "require('tsx/cjs/api').register()",
      "const { createLogger } = require('./framework/logger')",
      "const log = createLogger({ name: 'exit-test', format: 'json' })",
      "for (let i = 0; i < 3; i++) log.info('line ' + i)",
      'process.exit(3)',
    ].join('\n')
    const child = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
    expect(child.status).toBe(3)
    const lines = child.stderr.trim().split('\n').map((line) => JSON.parse(line).message)
    expect(lines).toEqual(['line 0', 'line 1', 'line 2'])
  })
})
