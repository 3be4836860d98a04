import { StderrLines } from '../../../framework/mcp/stderr_lines'

/** A StderrLines on a clock the test moves, recording what it passes on. */
function reader(settings: { maxLineBytes?: number; linesPerSecond?: number } = {}) {
  const lines: string[] = []
  const skipped: number[] = []
  const clock = { now: 10_000 }
  const stderr = new StderrLines(
    { maxLineBytes: settings.maxLineBytes ?? 100, linesPerSecond: settings.linesPerSecond ?? 1000 },
    (line) => lines.push(line),
    (count) => skipped.push(count),
    () => clock.now,
  )
  const push = (...chunks: Array<string | Buffer>) => chunks.forEach((chunk) => stderr.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)))
  return { stderr, push, lines, skipped, clock }
}

describe('StderrLines', () => {
  it('turns chunks into lines, joining a line split across chunks, without the \\r of CRLF and without blank lines', () => {
    const { push, lines } = reader()

    push('first li', 'ne\nsecond\r\n', '\n  \nthi', 'rd', '\n')

    expect(lines).toEqual(['first line', 'second', 'third'])
  })

  it('decodes a UTF-8 character split between two chunks', () => {
    const { push, lines } = reader()
    const bytes = Buffer.from('héllo wörld\n')

    push(bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9))

    expect(lines).toEqual(['héllo wörld'])
  })

  it('passes on a last line without a newline at end()', () => {
    const { stderr, push, lines } = reader()
    push('done\nexiting')
    expect(lines).toEqual(['done'])

    stderr.end()

    expect(lines).toEqual(['done', 'exiting'])
  })

  it('cuts a line at maxLineBytes, says so, drops the rest of it and starts the next line afresh', () => {
    const { push, lines } = reader({ maxLineBytes: 10 })

    push('0123456789abc', 'defgh', 'ij\nshort\n', 'x'.repeat(25), '\n')

    expect(lines).toEqual(['0123456789 [line cut at 10 bytes]', 'short', `${'x'.repeat(10)} [line cut at 10 bytes]`])
  })

  it('keeps a line of exactly maxLineBytes whole', () => {
    const { push, lines } = reader({ maxLineBytes: 10 })

    push('0123456789\n')

    expect(lines).toEqual(['0123456789'])
  })

  it('passes on linesPerSecond lines per second and reports the skipped ones when the next second starts', () => {
    const { push, lines, skipped, clock } = reader({ linesPerSecond: 3 })

    push(Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(''))
    expect(lines).toEqual(['line 0', 'line 1', 'line 2'])
    expect(skipped).toEqual([])

    clock.now += 1000
    push('later\n')

    expect(skipped).toEqual([7])
    expect(lines).toEqual(['line 0', 'line 1', 'line 2', 'later'])
  })

  it('reports the lines still skipped at end()', () => {
    const { stderr, push, lines, skipped } = reader({ linesPerSecond: 2 })
    push('a\nb\nc\nd\n')

    stderr.end()

    expect(lines).toEqual(['a', 'b'])
    expect(skipped).toEqual([2])
    stderr.end()
    expect(skipped).toEqual([2])
  })

  it('counts a flood exactly: every line is passed on or counted', () => {
    const { stderr, push, lines, skipped, clock } = reader({ linesPerSecond: 50, maxLineBytes: 80 })
    const line = `${'flood '.padEnd(99, 'x')}\n`
    for (let second = 0; second < 3; second++) {
      push(line.repeat(1000))
      clock.now += 1000
    }

    stderr.end()

    expect(lines).toHaveLength(150)
    expect(lines[0]).toBe(`${'flood '.padEnd(80, 'x')} [line cut at 80 bytes]`)
    expect(lines.length + skipped.reduce((sum, count) => sum + count, 0)).toBe(3000)
  })
})
