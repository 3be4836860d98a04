import { Writable } from 'node:stream'
import { ingestProgressPrinter, snippet } from '../../../framework/console/commands/rag_shared'
import { Output } from '../../../framework/console/output'
import type { IngestProgress } from '../../../framework/rag/ingest'

function capture() {
  const streams = { stdout: '', stderr: '' }
  const sink = (key: 'stdout' | 'stderr') => new Writable({ write: (chunk, _encoding, done) => ((streams[key] += String(chunk)), done()) })
  return { output: new Output({ stdout: sink('stdout'), stderr: sink('stderr'), colors: false }), streams }
}

const events: IngestProgress[] = [
  { type: 'start', total: 3 },
  { type: 'file', done: 1, total: 3, source: 'docs/a.md', outcome: 'indexed', added: 4, removed: 2 },
  { type: 'file', done: 2, total: 3, source: 'docs/b.md', outcome: 'unchanged', added: 0, removed: 0 },
  { type: 'file', done: 3, total: 3, source: 'docs/c.png', outcome: 'skipped', added: 0, removed: 0, reason: 'binary file (contains NUL bytes)' },
  { type: 'prune', sources: ['docs/old.md'], removed: 5 },
]

describe('rag:ingest progress', () => {
  it('without a terminal: one plain line per file on stderr, nothing on stdout', () => {
    const { output, streams } = capture()
    const print = ingestProgressPrinter(output, { tty: false })
    events.forEach(print)
    expect(streams.stdout).toBe('')
    expect(streams.stderr.split('\n')).toEqual([
      '3 files to read',
      '[1/3] indexed docs/a.md (+4 -2)',
      '[2/3] unchanged docs/b.md',
      '[3/3] skipped docs/c.png: binary file (contains NUL bytes)',
      'pruned 1 deleted file (5 chunks)',
      '',
    ])
  })

  it('on a terminal: one bar on stderr that redraws itself in place', () => {
    const { output, streams } = capture()
    const print = ingestProgressPrinter(output, { tty: true })
    events.slice(0, 3).forEach(print)
    expect(streams.stdout).toBe('')
    expect(streams.stderr.split('\n')).toEqual([
      `[${'#'.repeat(8)}${'-'.repeat(16)}] 1/3 docs/a.md`,
      `\u001b[1A\u001b[2K[${'#'.repeat(16)}${'-'.repeat(8)}] 2/3 docs/b.md`,
      '',
    ])
  })

  it('the same under --json: progress never reaches stdout', () => {
    const { output, streams } = capture()
    events.forEach(ingestProgressPrinter(output.forJson(), { tty: false }))
    expect(streams.stdout).toBe('')
    expect(streams.stderr).toContain('[1/3] indexed docs/a.md (+4 -2)\n')
  })

  it('snippet flattens whitespace and cuts long text with an ellipsis', () => {
    expect(snippet('a\n\n  b\tc')).toBe('a b c')
    expect(snippet('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`)
  })
})
