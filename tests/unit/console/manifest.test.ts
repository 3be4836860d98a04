import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { commands } from '../../../framework/console/manifest'

const ROOT = join(__dirname, '..', '..', '..')

/** Commands that print no data a script would read: a long-running server or worker, and a compiler's report. */
// mcp:serve speaks the MCP protocol on stdout: nothing else may be printed there.
const WITHOUT_JSON = ['build', 'serve', 'mcp:serve', 'queue:work']

describe('command manifest', () => {
  it('gives every command that prints data a --json flag', () => {
    const missing = commands.filter((spec) => !WITHOUT_JSON.includes(spec.name) && !(spec.options ?? []).some((option) => option.flags === '--json'))
    expect(missing.map((spec) => spec.name)).toEqual([])
    // The exceptions must still exist, or this list hides a new command.
    expect(commands.map((spec) => spec.name)).toEqual(expect.arrayContaining(WITHOUT_JSON))
  })

  it('--help loads no command module, LangGraph, database driver or zod', () => {
    // A process of its own: jest's module registry would hide what Node really loaded.
    const script = `
      require('tsx/cjs/api').register()
      const { Writable } = require('node:stream')
      const { runCli } = require('./framework/console/kernel')
      const { Output } = require('./framework/console/output')
      const sink = new Writable({ write: (chunk, encoding, done) => done() })
      runCli(['node', 'langvel', '--help'], { output: new Output({ stdout: sink, stderr: sink }) }).then((code) => {
        process.stdout.write(JSON.stringify({ code, loaded: Object.keys(require.cache) }))
      })
    `
    const child = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
    expect(child.stderr).toBe('')
    const { code, loaded } = JSON.parse(child.stdout) as { code: number; loaded: string[] }
    expect(code).toBe(0)
    // The kernel itself was loaded, so the list is the real one.
    expect(loaded.some((file) => file.endsWith(join('framework', 'console', 'kernel.ts')))).toBe(true)
    const heavy = loaded.filter((file) =>
      /node_modules[\\/](@langchain|knex|pg|better-sqlite3|ioredis|zod|winston[\\/])|framework[\\/]console[\\/]commands[\\/]|framework[\\/]foundation[\\/]/.test(file),
    )
    expect(heavy).toEqual([])
  })
})
