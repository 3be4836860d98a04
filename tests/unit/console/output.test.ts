import { Writable } from 'node:stream'
import { Output } from '../../../framework/console/output'

function capture() {
  const out: string[] = []
  const err: string[] = []
  const sink = (into: string[]) => new Writable({ write: (chunk, _encoding, done) => (into.push(String(chunk)), done()) })
  return { out, err, output: new Output({ stdout: sink(out), stderr: sink(err), colors: false }) }
}

const write = (output: Output) => {
  output.json({ a: 1 })
  output.jsonLine({ b: [2] })
  output.info('thread t-1')
  output.success('done it')
  output.status('Migrating: x')
  output.warn('careful')
  output.error('broken')
}

describe('Output', () => {
  it('writes status lines to stdout with the data, warnings and errors to stderr', () => {
    const { out, err, output } = capture()
    write(output)
    expect(out.join('')).toBe('{\n  "a": 1\n}\n{"b":[2]}\ninfo  thread t-1\ndone  done it\nMigrating: x\n')
    expect(err.join('')).toBe('warn  careful\nerror broken\n')
  })

  it('forJson() keeps only the JSON on stdout and moves every status line to stderr, in order', () => {
    const { out, err, output } = capture()
    const machine = output.forJson()
    expect(machine.machine).toBe(true)
    expect(output.machine).toBe(false)
    write(machine)
    expect(out.join('')).toBe('{\n  "a": 1\n}\n{"b":[2]}\n')
    expect(err.join('')).toBe('info  thread t-1\ndone  done it\nMigrating: x\nwarn  careful\nerror broken\n')
  })

  it('forJson() keeps the colors decided for the terminal', () => {
    const colored = new Output({ stdout: new Writable({ write: (_c, _e, done) => done() }), colors: true })
    expect(colored.forJson().paint('red', 'x')).toBe('\u001b[31mx\u001b[0m')
  })
})
