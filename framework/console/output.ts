import type { Writable } from 'node:stream'
import { stderrSink } from '../logger/stderr_sink'

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const
type Color = keyof typeof CODES

export interface OutputOptions {
  stdout?: Writable & { isTTY?: boolean }
  stderr?: Writable & { isTTY?: boolean }
  colors?: boolean
}

/**
 * The one place CLI text is written: colors (off when not a TTY or when
 * NO_COLOR is set), status lines and tables. Commands never call console.*.
 *
 * @example
 * output.success(`created ${path}`)
 * output.table(['Migration', 'Status'], rows)
 */
export class Output {
  readonly colors: boolean
  private readonly stdout: Writable
  private readonly stderr: Writable

  constructor(options: OutputOptions = {}) {
    this.stdout = options.stdout ?? process.stdout
    this.stderr = options.stderr ?? process.stderr
    const tty = Boolean((options.stdout ?? process.stdout).isTTY)
    this.colors = options.colors ?? (tty && !process.env.NO_COLOR && process.env.TERM !== 'dumb')
  }

  paint(color: Color, text: string): string {
    return this.colors ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`)
  }

  info(text: string): void {
    this.line(`${this.paint('cyan', 'info')}  ${text}`)
  }

  success(text: string): void {
    this.line(`${this.paint('green', 'done')}  ${text}`)
  }

  warn(text: string): void {
    // Log lines written before this text come first.
    stderrSink.flush()
    this.stderr.write(`${this.paint('yellow', 'warn')}  ${text}\n`)
  }

  error(text: string): void {
    stderrSink.flush()
    this.stderr.write(`${this.paint('red', 'error')} ${text}\n`)
  }

  json(value: unknown): void {
    this.line(JSON.stringify(value, null, 2))
  }

  /** A plain-text table whose columns fit their widest cell. */
  table(head: string[], rows: Array<Array<string | number>>): void {
    const cells = rows.map((row) => row.map(String))
    const widths = head.map((title, index) => Math.max(title.length, ...cells.map((row) => (row[index] ?? '').length)))
    const render = (row: string[]) => row.map((cell, index) => cell.padEnd(widths[index])).join('  ').trimEnd()
    this.line(this.paint('bold', render(head)))
    this.line(widths.map((width) => '-'.repeat(width)).join('  '))
    for (const row of cells) this.line(render(row))
  }
}
