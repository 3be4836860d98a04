import type { McpStderrSettings } from './types'

const LF = 0x0a

/**
 * Turns a child's stderr into log lines, reading everything as it comes so
 * the pipe never fills (a server blocked on a full stderr pipe stops
 * answering). Each line is cut to `maxLineBytes`; at most `linesPerSecond`
 * lines are passed on, the rest are counted and reported once per second,
 * so a server that writes megabytes costs a few log lines, not the log.
 *
 * @example
 * const lines = new StderrLines(settings, (line) => logger.info(line), (skipped) => logger.warn(`${skipped} lines skipped`))
 * child.stderr.on('data', (chunk) => lines.push(chunk))
 */
export class StderrLines {
  private parts: Buffer[] = []
  private length = 0
  private truncated = false
  private windowStart = 0
  private inWindow = 0
  private skipped = 0
  private reportTimer?: NodeJS.Timeout

  constructor(
    private readonly settings: McpStderrSettings,
    private readonly onLine: (line: string) => void,
    private readonly onSkipped: (count: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  push(chunk: Buffer): void {
    let start = 0
    let index = chunk.indexOf(LF)
    while (index !== -1) {
      this.keep(chunk.subarray(start, index))
      this.flushLine()
      start = index + 1
      index = chunk.indexOf(LF, start)
    }
    if (start < chunk.length) this.keep(chunk.subarray(start))
  }

  /** Passes on what is left (a last line without a newline) and the count of skipped lines. */
  end(): void {
    if (this.length > 0 || this.truncated) this.flushLine()
    this.reportSkipped()
  }

  private keep(bytes: Buffer): void {
    const room = this.settings.maxLineBytes - this.length
    if (bytes.length > room) {
      this.truncated = true
      if (room > 0) {
        this.parts.push(Buffer.from(bytes.subarray(0, room)))
        this.length += room
      }
      return
    }
    if (bytes.length > 0) {
      // A copy: the chunk's memory is not held for the sake of a few bytes of it.
      this.parts.push(Buffer.from(bytes))
      this.length += bytes.length
    }
  }

  private flushLine(): void {
    const line = Buffer.concat(this.parts, this.length).toString('utf8').replace(/\r$/, '')
    const truncated = this.truncated
    this.parts = []
    this.length = 0
    this.truncated = false
    if (line.trim() === '' && !truncated) return
    if (!this.admit()) return
    this.onLine(truncated ? `${line} [line cut at ${this.settings.maxLineBytes} bytes]` : line)
  }

  private admit(): boolean {
    const now = this.now()
    if (now - this.windowStart >= 1000) {
      this.reportSkipped()
      this.windowStart = now
      this.inWindow = 0
    }
    if (this.inWindow >= this.settings.linesPerSecond) {
      this.skipped++
      // Said when the second is over, even if the server then goes quiet.
      if (!this.reportTimer) {
        this.reportTimer = setTimeout(() => this.reportSkipped(), Math.max(0, 1000 - (now - this.windowStart)))
        this.reportTimer.unref()
      }
      return false
    }
    this.inWindow++
    return true
  }

  private reportSkipped(): void {
    clearTimeout(this.reportTimer)
    this.reportTimer = undefined
    if (this.skipped === 0) return
    const count = this.skipped
    this.skipped = 0
    this.onSkipped(count)
  }
}
