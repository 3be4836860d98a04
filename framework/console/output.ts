import type { Writable } from 'node:stream'
import { stderrSink } from '../logger/stderr_sink'

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const
type Color = keyof typeof CODES

export interface OutputOptions {
  stdout?: Writable & { isTTY?: boolean }
  stderr?: Writable & { isTTY?: boolean }
  colors?: boolean
  /**
   * Where status lines (`info`, `success`, `status`) go. `stderr` under
   * `--json`, so stdout carries nothing but the JSON and `| jq` always works.
   */
  statusTo?: 'stdout' | 'stderr'
}

/**
 * The one place CLI text is written: colors (off when not a TTY or when
 * NO_COLOR is set), status lines, tables and JSON. Commands never call console.*.
 *
 * Data (`line`, `table`, `json`, `jsonLine`) goes to stdout; warnings and
 * errors to stderr; status lines to stdout, or to stderr in the output of a
 * `--json` run (`forJson()`), which the kernel hands every command run with `--json`.
 *
 * @example
 * output.success(`created ${path}`)
 * output.table(['Migration', 'Status'], rows)
 */
export class Output {
  readonly colors: boolean
  /** True in the output of a `--json` run: status lines go to stderr. */
  readonly machine: boolean
  private readonly options: OutputOptions
  private readonly stdout: Writable
  private readonly stderr: Writable

  constructor(options: OutputOptions = {}) {
    this.options = options
    this.stdout = options.stdout ?? process.stdout
    this.stderr = options.stderr ?? process.stderr
    this.machine = options.statusTo === 'stderr'
    const tty = Boolean((options.stdout ?? process.stdout).isTTY)
    this.colors = options.colors ?? (tty && !process.env.NO_COLOR && process.env.TERM !== 'dumb')
  }

  /** The same streams, with every status line on stderr: what a command run with `--json` writes through. */
  forJson(): Output {
    return this.machine ? this : new Output({ ...this.options, colors: this.colors, statusTo: 'stderr' })
  }

  paint(color: Color, text: string): string {
    return this.colors ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`)
  }

  /** A line about progress rather than a result (a migration starting): stderr under `--json`. */
  status(text: string): void {
    if (this.machine) {
      // Log lines written before this text come first.
      stderrSink.flush()
      this.stderr.write(`${text}\n`)
    } else {
      this.line(text)
    }
  }

  info(text: string): void {
    this.status(`${this.paint('cyan', 'info')}  ${text}`)
  }

  success(text: string): void {
    this.status(`${this.paint('green', 'done')}  ${text}`)
  }

  warn(text: string): void {
    stderrSink.flush()
    this.stderr.write(`${this.paint('yellow', 'warn')}  ${text}\n`)
  }

  error(text: string): void {
    stderrSink.flush()
    this.stderr.write(`${this.paint('red', 'error')} ${text}\n`)
  }

  /** One JSON document, indented for people reading it; `jq` reads it the same. */
  json(value: unknown): void {
    this.line(JSON.stringify(value, null, 2))
  }

  /** One JSON value on one line (NDJSON): a stream of results a reader can parse line by line. */
  jsonLine(value: unknown): void {
    this.line(JSON.stringify(value))
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
