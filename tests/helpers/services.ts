import { Socket } from 'node:net'

/**
 * Service-backed tests run against the real PostgreSQL and Redis. When one is
 * not reachable they are skipped with a visible message — unless
 * LANGVEL_TEST_REQUIRE_SERVICES=1, which turns absence into a failure (CI).
 */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15'

const required = process.env.LANGVEL_TEST_REQUIRE_SERVICES === '1'

function reachable(url: string): boolean {
  const { hostname, port } = new URL(url)
  // Synchronous probe: jest decides describe vs describe.skip at collection time.
  const script = `const s=require('net').connect(${Number(port)},${JSON.stringify(hostname)});s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(1),1500)`
  const { status } = require('node:child_process').spawnSync(process.execPath, ['-e', script], { timeout: 3000 })
  return status === 0
}

const cache = new Map<string, boolean>()
function available(name: string, url: string): boolean {
  if (!cache.has(name)) cache.set(name, reachable(url))
  return cache.get(name) as boolean
}

/**
 * A `describe` that runs when `isAvailable()` says the dependency is there,
 * fails under LANGVEL_TEST_REQUIRE_SERVICES=1 when it is not, and is skipped
 * with a visible message otherwise.
 */
export function dependencyDescribe(name: string, where: string, isAvailable: () => boolean) {
  return (title: string, body: () => void) => {
    if (isAvailable()) return describe(title, body)
    if (required) {
      return describe(title, () => {
        it(`requires ${name} at ${where} (LANGVEL_TEST_REQUIRE_SERVICES=1)`, () => {
          throw new Error(`${name} is not available at ${where}`)
        })
      })
    }
    process.stderr.write(`[skip] ${title}: ${name} is not available at ${where}\n`)
    return describe.skip(`${title} (skipped: ${name} not available)`, body)
  }
}

const serviceDescribe = (name: string, url: string) => dependencyDescribe(name, url, () => available(name, url))

export const describeWithPostgres = serviceDescribe('PostgreSQL', POSTGRES_URL)
export const describeWithRedis = serviceDescribe('Redis', REDIS_URL)

/** Kept for tests that need an async probe inside a test body. */
export function canConnect(url: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = new Socket()
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('error', () => done(false))
    socket.connect(Number(port), hostname, () => done(true))
  })
}
