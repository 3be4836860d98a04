import TransportStream from 'winston-transport'

const MESSAGE = Symbol.for('message')

/** Where the sink writes; process.stderr unless a test hands another stream. */
export interface LineTarget {
  write(text: string): unknown
}

/**
 * Log lines for standard error, written together once per event-loop turn.
 * Writing to stderr is synchronous in Node for files and pipes (a syscall per
 * write): a busy server finishing several requests in one turn pays for one
 * write instead of one per access-log line. Lines keep their order; they wait
 * at most until the turn ends (setImmediate), and whatever is pending when
 * the process exits is written synchronously in its `exit` event, so a crash
 * that reaches `process.exit` loses nothing. Only a SIGKILL in the middle of
 * a turn can lose that turn's lines.
 *
 * Anything else that writes to stderr (the CLI's Output) calls `flush()` first,
 * so its text never overtakes log lines written before it.
 *
 * @example
 * stderrSink.write('{"level":"info","message":"request"}\n')
 * stderrSink.flush()
 */
export class LineSink {
  private pending: string[] = []
  private scheduled = false
  private exitHooked = false

  constructor(private readonly target: () => LineTarget) {}

  write(line: string): void {
    this.pending.push(line)
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(this.flush)
    if (!this.exitHooked) {
      this.exitHooked = true
      process.once('exit', this.flush)
    }
  }

  /** Writes what is pending now, in one write. */
  flush = (): void => {
    this.scheduled = false
    if (this.pending.length === 0) return
    const text = this.pending.length === 1 ? this.pending[0] : this.pending.join('')
    this.pending = []
    this.target().write(text)
  }

  get size(): number {
    return this.pending.length
  }
}

/** The process's one stderr sink; every logger writing to stderr shares it, so their lines stay in order. */
export const stderrSink = new LineSink(() => process.stderr)

/**
 * A winston transport writing each formatted line to a LineSink (stderr by
 * default). It replaces winston's Console transport, which writes every line
 * with its own syscall and schedules an event per line.
 *
 * @example
 * winston.createLogger({ transports: [new SinkTransport({ format: winston.format.json() })] })
 */
export class SinkTransport extends TransportStream {
  private readonly sink: LineSink

  constructor(options: TransportStream.TransportStreamOptions & { sink?: LineSink } = {}) {
    super(options)
    this.sink = options.sink ?? stderrSink
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.sink.write(`${String(info[MESSAGE])}\n`)
    next()
  }
}
