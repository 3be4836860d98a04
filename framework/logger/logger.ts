import winston from 'winston'
import { isSecretKey, redact, redactString, REDACTED } from './redact'
import { SinkTransport, stderrSink } from './stderr_sink'

export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly'

export interface LoggerOptions {
  /** The logger name, shown on every line (`langvel`, `http`, `agents`...). */
  name?: string
  level?: LogLevel
  format?: 'json' | 'pretty'
  /** Also append JSON lines to this file. */
  file?: string
  /** Colors in pretty output; defaults to a TTY without NO_COLOR. */
  colors?: boolean
  /** Extra transports (tests use one to capture lines). */
  transports?: winston.transport[]
  silent?: boolean
}

type Meta = Record<string, unknown>

const RESERVED = new Set(['level', 'message', 'timestamp', 'logger', Symbol.for('level'), Symbol.for('message')])

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (RESERVED.has(key)) continue
    const value = info[key]
    info[key] = isSecretKey(key) && value !== undefined && value !== null && typeof value !== 'boolean' ? REDACTED : redact(value)
  }
  if (typeof info.message === 'string') info.message = redactString(info.message)
  return info
})

const MESSAGE = Symbol.for('message')
const slowJson = winston.format.json()

/**
 * Lines reach this format already redacted, so they have no cycles and plain
 * JSON.stringify can write them, keys in the order they were given (level,
 * message, logger, context, fields) rather than winston json()'s sorted
 * order. What it cannot write (a BigInt) goes to winston's json().
 */
const jsonLine = winston.format((info) => {
  try {
    info[MESSAGE] = JSON.stringify(info)
    return info
  } catch {
    return slowJson.transform(info, slowJson.options) as typeof info
  }
})

function prettyFormat(colors: boolean) {
  const paint = winston.format.colorize({ all: false })
  return winston.format.printf((info) => {
    const { level, message, timestamp, logger, ...rest } = info as Meta & { level: string; message: unknown }
    const fields = Object.entries(rest)
      .filter(([key]) => typeof key === 'string')
      .map(([key, value]) => {
        if (key === 'error' && value && typeof value === 'object' && 'message' in value) {
          // Stacks are for failures; a rejected client request reads better as one line.
          const error = value as { name?: string; message: string; stack?: string }
          return level === 'error' && error.stack ? `\n${error.stack}` : ` error=${error.name ?? 'Error'}: ${error.message}`
        }
        return ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`
      })
      .join('')
    const shownLevel = level.toUpperCase().padEnd(5)
    const levelText = colors ? paint.colorize(level, shownLevel) : shownLevel
    const time = String(timestamp).slice(11, 23)
    return `${time} ${levelText} [${String(logger ?? 'langvel')}] ${String(message)}${fields}`
  })
}

/**
 * Structured logger over winston. Child loggers add context (request id,
 * agent, trace id) to every line they write; secrets are redacted by key name
 * and in URLs before anything reaches a transport.
 *
 * @example
 * const log = createLogger({ name: 'http', format: 'json' })
 * log.child({ requestId }).info('request finished', { status: 200, durationMs: 3.2 })
 */
export class Logger {
  constructor(
    private readonly base: winston.Logger,
    private readonly context: Meta = {},
  ) {}

  /** A logger whose lines all carry `context` (merged over this logger's). */
  child(context: Meta): Logger {
    return new Logger(this.base, { ...this.context, ...context })
  }

  isLevelEnabled(level: LogLevel): boolean {
    return this.base.isLevelEnabled(level)
  }

  error(message: string, meta?: Meta | Error): void {
    this.write('error', message, meta)
  }
  warn(message: string, meta?: Meta | Error): void {
    this.write('warn', message, meta)
  }
  info(message: string, meta?: Meta): void {
    this.write('info', message, meta)
  }
  debug(message: string, meta?: Meta): void {
    this.write('debug', message, meta)
  }

  log(level: LogLevel, message: string, meta?: Meta | Error): void {
    this.write(level, message, meta)
  }

  /** Waits until every transport has written what it was given. */
  async flush(): Promise<void> {
    stderrSink.flush()
    await Promise.all(
      this.base.transports.map(
        (transport) =>
          new Promise<void>((resolve) => {
            const stream = transport as unknown as NodeJS.WritableStream & { writableNeedDrain?: boolean }
            if (stream.writableNeedDrain) stream.once('drain', () => resolve())
            else resolve()
          }),
      ),
    )
  }

  close(): void {
    this.base.close()
  }

  private write(level: LogLevel, message: string, meta?: Meta | Error): void {
    if (!this.base.isLevelEnabled(level)) return
    const fields: Meta = meta instanceof Error ? { error: meta } : { ...meta }
    try {
      this.base.log({ level, message, ...this.context, ...fields })
    } catch (error) {
      // Logging never fails its caller (a request, the exception handler): the line is
      // replaced by one saying it could not be written, without the fields that broke it.
      try {
        this.base.log({ level, message: 'log line dropped: it could not be formatted', ...this.context, reason: error instanceof Error ? error.name : typeof error })
      } catch {
        // Nothing left to write with.
      }
    }
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const colors = options.colors ?? (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR)
  const base = [winston.format.timestamp(), redactFormat()]
  const transports: winston.transport[] = options.transports ?? [
    // Every level goes to stderr (stdout is the CLI's), batched once per event-loop turn.
    new SinkTransport({ format: options.format === 'json' ? jsonLine() : prettyFormat(colors) }),
  ]
  if (options.file) {
    transports.push(new winston.transports.File({ filename: options.file, format: jsonLine() }))
  }
  const logger = winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent,
    format: winston.format.combine(...base),
    transports,
  })
  // The name lives in the context (not winston's defaultMeta, which would override a child's own name).
  return new Logger(logger, { logger: options.name ?? 'langvel' })
}

