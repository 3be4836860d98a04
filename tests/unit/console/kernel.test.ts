import { Writable } from 'node:stream'
import { runCli } from '../../../framework/console/kernel'
import { Output } from '../../../framework/console/output'
import type { CommandSpec } from '../../../framework/console/command'
import { createLogger } from '../../../framework/logger'

function captureOutput() {
  const out: string[] = []
  const err: string[] = []
  const sink = (into: string[]) => new Writable({ write: (chunk, _e, cb) => (into.push(String(chunk)), cb()) })
  return { out, err, output: new Output({ stdout: sink(out), stderr: sink(err), colors: false }) }
}

const logger = createLogger({ silent: true })

describe('CLI kernel', () => {
  it('lists commands grouped by concern in --help', async () => {
    const { out, output } = captureOutput()
    const code = await runCli(['node', 'langvel', '--help'], { output })
    expect(code).toBe(0)
    const help = out.join('')
    expect(help).toMatch(/Config:\n[\s\S]*config:show/)
    expect(help).toContain('key:generate')
  })

  it('suggests the closest command for a typo and exits non-zero', async () => {
    const { err, output } = captureOutput()
    const code = await runCli(['node', 'langvel', 'conifg:show'], { output })
    expect(code).not.toBe(0)
    expect(err.join('')).toContain('Did you mean config:show?')
  })

  it('stops every command on invalid configuration with one line per problem', async () => {
    const { err, output } = captureOutput()
    const run = jest.fn()
    const spec: CommandSpec = { name: 'noop', group: 'general', description: 'noop', load: () => ({ default: run }) }
    const code = await runCli(['node', 'langvel', 'noop'], { output, commands: [spec], app: { env: { SERVER_PORT: 'abc', LOG_LEVEL: 'loud' }, logger, loadDotenv: false } })
    expect(code).toBe(1)
    expect(run).not.toHaveBeenCalled()
    const text = err.join('')
    expect(text).toContain('[E_INVALID_CONFIG]')
    expect(text).toContain('SERVER_PORT')
    expect(text).toContain('LOG_LEVEL')
    expect(text).not.toMatch(/\n\s+at /)
  })

  /** A command `fail` whose handler rejects with `error`. */
  const failing = (error: Error): CommandSpec => ({ name: 'fail', group: 'general', description: 'fails', load: () => ({ default: () => Promise.reject(error) }) })

  it('prints an error as one line, with the stack only under --verbose', async () => {
    const spec = failing(new Error('something broke'))
    const quiet = captureOutput()
    expect(await runCli(['node', 'langvel', 'fail'], { output: quiet.output, commands: [spec], app: { env: {}, logger, loadDotenv: false } })).toBe(1)
    expect(quiet.err.join('')).toBe('error something broke\n')
    const loud = captureOutput()
    await runCli(['node', 'langvel', '--verbose', 'fail'], { output: loud.output, commands: [spec], app: { env: {}, logger, loadDotenv: false } })
    expect(loud.err.join('')).toMatch(/\n\s+at /)
  })

  it('prints a missing module of the application as one line naming the file that imports it', async () => {
    // What Node's loader throws for an application file importing what is not there (jest replaces the loader).
    const missing = Object.assign(new Error("Cannot find module '../app/agents/missing'\nRequire stack:\n- /p/routes/agents.ts\n- /p/framework/routing/load_routes.ts"), {
      code: 'MODULE_NOT_FOUND',
      requireStack: ['/p/routes/agents.ts', '/p/framework/routing/load_routes.ts'],
    })
    const spec = failing(missing)
    const { output, err } = captureOutput()
    expect(await runCli(['node', 'langvel', 'fail'], { output, commands: [spec], app: { env: {}, logger, loadDotenv: false } })).toBe(1)
    expect(err.join('')).toBe("error Cannot find module '../app/agents/missing' (imported by /p/routes/agents.ts)\n")
  })

  it('names an unreachable database as E_SERVICE_UNAVAILABLE with what to check, in one line and a hint', async () => {
    const missingDb = captureOutput()
    const noDatabase = Object.assign(new Error('database "nope" does not exist'), { code: '3D000' })
    expect(await runCli(['node', 'langvel', 'fail'], { output: missingDb.output, commands: [failing(noDatabase)], app: { env: {}, logger, loadDotenv: false } })).toBe(1)
    expect(missingDb.err.join('')).toBe(
      'error [E_SERVICE_UNAVAILABLE] The database is unavailable: database "nope" does not exist\nerror Check DATABASE_URL and REDIS_URL, and that the server they name is running and reachable.\n',
    )
    const refused = captureOutput()
    const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5999'), { code: 'ECONNREFUSED' })
    await runCli(['node', 'langvel', 'fail'], { output: refused.output, commands: [failing(socket)], app: { env: {}, logger, loadDotenv: false } })
    expect(refused.err.join('')).toContain('[E_SERVICE_UNAVAILABLE] A service the command depends on is unavailable: connect ECONNREFUSED 127.0.0.1:5999')
  })

  it('passes arguments and options to the command and returns its exit code', async () => {
    const seen: unknown[] = []
    const spec: CommandSpec = {
      name: 'greet',
      group: 'general',
      description: 'greets',
      arguments: [{ name: 'who', description: 'who' }],
      options: [{ flags: '--loud', description: 'shout' }],
      load: () => ({ default: ({ args, options }) => (seen.push(args, options), 3) }),
    }
    const { output } = captureOutput()
    expect(await runCli(['node', 'langvel', 'greet', 'ada', '--loud'], { output, commands: [spec], app: { env: {}, logger, loadDotenv: false } })).toBe(3)
    expect(seen).toEqual([['ada'], { loud: true }])
  })

  it('prints the effective configuration with secrets redacted', async () => {
    const { out, output } = captureOutput()
    const secret = 's'.repeat(40)
    const code = await runCli(['node', 'langvel', 'config:show', '--json'], {
      output,
      app: { env: { JWT_SECRET_KEY: secret, DATABASE_URL: 'postgres://app:hunter22@127.0.0.1/db', SERVER_PORT: '9000' }, logger, loadDotenv: false },
    })
    expect(code).toBe(0)
    const text = out.join('')
    expect(text).not.toContain(secret)
    expect(text).not.toContain('hunter22')
    const shown = JSON.parse(text)
    expect(shown.config.server.resolved.port).toBe(9000)
    expect(shown.config.auth.env.JWT_SECRET_KEY).toBe('<redacted>')
  })
})
