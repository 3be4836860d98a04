import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import { RedisManager } from '../../framework/redis/redis_manager'
import { REDIS_URL, describeWithRedis } from '../helpers/services'
import { httpCall, writeCliEntry } from './support/processes'

/**
 * Auth and rate limiting across real `langvel serve` processes: two servers
 * sharing Redis enforce one limit and honour one revocation made by the
 * `auth:revoke` command (a third process), and in development without
 * JWT_SECRET_KEY a token outlives a restart through the key written into
 * the project's .env.
 */

const ROOT = join(__dirname, '..', '..')
const scratch = mkdtempSync(join(tmpdir(), 'langvel-auth-e2e-'))

// The serve and auth:* commands through the CLI kernel (the code `bin/langvel` runs), without loading the other groups.
const CLI_ENTRY = writeCliEntry(scratch, ['serverCommands', 'authCommands'])

/** The caller's environment without anything that would pick the key, stores or limits for the children. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const key of Object.keys(env)) {
    if (/^(JWT_|AUTH_|RATE_LIMIT_|REDIS_|DATABASE_|STATE_|CHECKPOINT_|SERVER_)/.test(key)) delete env[key]
  }
  return { ...env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', NO_COLOR: '1', SHUTDOWN_GRACE_SECONDS: '5', STATE_CHECKPOINTER: 'memory' }
}

/** A project root of its own (.env, storage/), as each instance of a deployment has. */
function projectRoot(): string {
  return mkdtempSync(join(scratch, 'project-'))
}

interface Server {
  child: ChildProcess
  url: string
  output: () => string
  exited: Promise<number | null>
}

const children: ChildProcess[] = []

function serve(env: NodeJS.ProcessEnv): Promise<Server> {
  const child = spawn(process.execPath, [CLI_ENTRY, 'serve', '--host', '127.0.0.1', '--port', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (data) => (stdout += data))
  child.stderr!.on('data', (data) => (stderr += data))
  const output = () => `${stdout}\n${stderr}`
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output()}`)), 25_000)
    const onData = () => {
      const match = /ready at (http:\/\/[\d.]+:\d+)/.exec(stdout)
      if (!match) return
      clearTimeout(timer)
      child.stdout!.off('data', onData)
      resolve({ child, url: match[1], output, exited })
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${output()}`))
    })
  })
}

async function stop(server: Server): Promise<number | null> {
  server.child.kill('SIGTERM')
  return server.exited
}

/** One CLI command as its own process; resolves with its exit code and output. */
function cli(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI_ENTRY, ...args], { cwd: ROOT, env, timeout: 25_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr })
    })
    children.push(child)
  })
}

/** `langvel auth:token <subject>`: prints only the token. */
async function issueToken(env: NodeJS.ProcessEnv, subject: string): Promise<string> {
  const result = await cli(env, ['auth:token', subject])
  const token = result.stdout.trim().split('\n').pop() ?? ''
  if (result.code !== 0 || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) throw new Error(`auth:token failed (${result.code}):\n${result.stdout}\n${result.stderr}`)
  return token
}

function invoke(url: string, token: string) {
  return httpCall(`${url}/agents/secure/echo`, { body: { input: { query: 'e2e' } }, headers: { authorization: `Bearer ${token}` } })
}

const statuses = (responses: Array<{ status: number }>) =>
  responses.reduce<Record<number, number>>((counts, res) => ({ ...counts, [res.status]: (counts[res.status] ?? 0) + 1 }), {})

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  rmSync(scratch, { recursive: true, force: true })
})

describeWithRedis('two server processes sharing Redis', () => {
  const prefix = `test:auth-e2e:${randomBytes(4).toString('hex')}:`
  const shared = {
    ...baseEnv(),
    APP_ENV: 'test',
    JWT_SECRET_KEY: randomBytes(48).toString('base64url'),
    AUTH_STORE: 'redis',
    RATE_LIMIT_DRIVER: 'redis',
    REDIS_URL,
    REDIS_PREFIX: prefix,
  }
  // The CLI runs as an operator would: its own process, the same configuration.
  const operator = { ...shared, LANGVEL_BASE_PATH: projectRoot() }
  let servers: Server[] = []

  beforeAll(async () => {
    servers = await Promise.all([serve({ ...shared, LANGVEL_BASE_PATH: projectRoot() }), serve({ ...shared, LANGVEL_BASE_PATH: projectRoot() })])
  }, 40_000)
  afterAll(async () => {
    await Promise.all(servers.map(stop))
    const redis = new RedisManager({ url: REDIS_URL, prefix })
    const keys = await redis.connection().keys(`${prefix}*`)
    if (keys.length > 0) await redis.connection().del(...keys)
    await redis.close()
  })

  it('enforce one `throttle:5,1` together: 5 of 8 concurrent requests pass, spread over both', async () => {
    const token = await issueToken(operator, 'alice')
    const responses = await Promise.all(Array.from({ length: 8 }, (_, index) => invoke(servers[index % 2].url, token)))
    expect(statuses(responses)).toEqual({ 200: 5, 429: 3 })
    expect(JSON.parse(responses.find((res) => res.status === 429)!.text).error.code).toBe('E_TOO_MANY_REQUESTS')
  })

  it('both refuse a token once `auth:revoke` has revoked it', async () => {
    const token = await issueToken(operator, 'bob')
    for (const server of servers) expect((await invoke(server.url, token)).status).toBe(200)

    const revoked = await cli(operator, ['auth:revoke', token])
    expect(revoked.code).toBe(0)
    expect(revoked.stdout).toContain('Revoked token')

    for (const server of servers) {
      const res = await invoke(server.url, token)
      expect(res.status).toBe(401)
      expect(JSON.parse(res.text).error.code).toBe('E_UNAUTHORIZED')
    }
  })
})

describe('a development server without JWT_SECRET_KEY', () => {
  it('writes a key into the project’s .env, and a token issued before a restart still works after it', async () => {
    const base = projectRoot()
    const env: NodeJS.ProcessEnv = { ...baseEnv(), APP_ENV: 'development', LANGVEL_BASE_PATH: base }
    expect(env.JWT_SECRET_KEY).toBeUndefined()
    const keyOf = () => parseDotenv(readFileSync(join(base, '.env'), 'utf8')).JWT_SECRET_KEY

    const first = await serve(env)
    const key = keyOf()
    expect(key?.length).toBeGreaterThanOrEqual(64)
    const token = await issueToken(env, 'carol')
    const before = await invoke(first.url, token)
    expect(before.status).toBe(200)
    expect(await stop(first)).toBe(0)

    const second = await serve(env)
    try {
      expect(keyOf()).toBe(key)
      const after = await invoke(second.url, token)
      expect({ status: after.status, text: after.text }).toMatchObject({ status: 200, text: expect.stringContaining('Processed: e2e') })
    } finally {
      expect(await stop(second)).toBe(0)
    }
  }, 60_000)
})
