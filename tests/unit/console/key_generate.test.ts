import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'dotenv'
import { cli, scratch, tree } from './cli_harness'

const EXAMPLE = [
  '# Langvel environment',
  'APP_NAME=langvel',
  '',
  '# --- Authentication ---',
  '# Generate with `langvel key:generate`.',
  'JWT_SECRET_KEY=',
  'JWT_EXPIRY=1h',
  '',
].join('\n')

const KEY_PATTERN = /^[A-Za-z0-9_-]{86}$/

describe('key:generate', () => {
  let dir: string
  let cleanup: () => void
  beforeEach(() => ({ dir, cleanup } = scratch()))
  afterEach(() => cleanup())

  const envFile = () => join(dir, '.env')
  const readEnv = () => readFileSync(envFile(), 'utf8')

  it('creates .env from .env.example, filling the empty key line in place and keeping every other line', async () => {
    writeFileSync(join(dir, '.env.example'), EXAMPLE)
    const result = await cli(dir, ['key:generate'])
    expect(result.code).toBe(0)

    const lines = readEnv().split('\n')
    const expected = EXAMPLE.split('\n')
    expect(lines).toHaveLength(expected.length)
    const keyLine = expected.indexOf('JWT_SECRET_KEY=')
    lines.forEach((line, index) => {
      if (index !== keyLine) expect(line).toBe(expected[index])
    })
    const key = parse(readEnv()).JWT_SECRET_KEY
    expect(key).toMatch(KEY_PATTERN)
    expect(Buffer.from(key, 'base64url')).toHaveLength(64)
    expect(readFileSync(join(dir, '.env.example'), 'utf8')).toBe(EXAMPLE)
  })

  it('writes .env readable by its owner only and never prints the key', async () => {
    writeFileSync(join(dir, '.env.example'), EXAMPLE)
    const result = await cli(dir, ['key:generate'])
    expect(statSync(envFile()).mode & 0o777).toBe(0o600)
    const key = parse(readEnv()).JWT_SECRET_KEY
    expect(result.stdout + result.stderr).not.toContain(key)
    expect(result.stdout).toContain('JWT_SECRET_KEY')
  })

  it('creates .env with only the key when there is no .env.example', async () => {
    expect((await cli(dir, ['key:generate'])).code).toBe(0)
    expect(readEnv()).toMatch(/^JWT_SECRET_KEY=[A-Za-z0-9_-]{86}\n$/)
  })

  it('appends the key to an existing .env that lacks it', async () => {
    writeFileSync(envFile(), '# mine\nAPP_NAME=demo')
    expect((await cli(dir, ['key:generate'])).code).toBe(0)
    expect(readEnv()).toMatch(/^# mine\nAPP_NAME=demo\nJWT_SECRET_KEY=[A-Za-z0-9_-]{86}\n$/)
  })

  it('refuses to replace an existing key without --force and leaves .env untouched', async () => {
    const original = `APP_NAME=demo\nJWT_SECRET_KEY=${'k'.repeat(40)}\n`
    writeFileSync(envFile(), original)
    const result = await cli(dir, ['key:generate'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('[E_KEY_EXISTS]')
    expect(readEnv()).toBe(original)
  })

  it('replaces an existing key with --force, keeping the other lines and comments', async () => {
    writeFileSync(envFile(), `# top\nAPP_NAME=demo\nJWT_SECRET_KEY=${'k'.repeat(40)} # old key\nJWT_EXPIRY=2h\n`)
    const result = await cli(dir, ['key:generate', '--force'])
    expect(result.code).toBe(0)
    const after = readEnv()
    expect(after).toMatch(/^# top\nAPP_NAME=demo\nJWT_SECRET_KEY=[A-Za-z0-9_-]{86}\nJWT_EXPIRY=2h\n$/)
    expect(after).not.toContain('k'.repeat(40))
  })

  it('generates a different key each time', async () => {
    await cli(dir, ['key:generate'])
    const first = parse(readEnv()).JWT_SECRET_KEY
    await cli(dir, ['key:generate', '--force'])
    expect(parse(readEnv()).JWT_SECRET_KEY).not.toBe(first)
  })

  it('--show prints a key and writes nothing', async () => {
    writeFileSync(join(dir, '.env.example'), EXAMPLE)
    const result = await cli(dir, ['key:generate', '--show'])
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toMatch(KEY_PATTERN)
    expect(existsSync(envFile())).toBe(false)
    expect(tree(dir)).toEqual(['.env.example'])
  })

  it('warns when the process environment sets a key that will override .env', async () => {
    const result = await cli(dir, ['key:generate'], { JWT_SECRET_KEY: 'e'.repeat(40) })
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('process environment')
  })
})
