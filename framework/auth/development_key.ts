import { randomBytes } from 'node:crypto'
import { closeSync, openSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../logger'
import { readEnvKeyFile, writeEnvKey } from './env_key_writer'

const LOCK_WAIT_MS = 5000
/** A lock older than this was left by a crashed process. */
const STALE_LOCK_MS = 30_000

/** 512 bits, URL- and shell-safe; the same form `langvel key:generate` writes. */
export function generateJwtKey(): string {
  return randomBytes(64).toString('base64url')
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * Development convenience: returns the JWT key of `<basePath>/.env`, writing
 * a fresh one there first when it has none, so a fresh clone can issue and
 * verify tokens and they survive restarts. Only ever called with
 * APP_ENV=development (the auth provider checks); production refuses to boot
 * without a key instead.
 *
 * Several processes may get here at once (cluster workers starting together):
 * a lock file makes exactly one of them write, and the others read its key,
 * so every worker signs with the same key. Synchronous, because it runs inside
 * a container factory.
 *
 * @example
 * const secret = config.jwtSecret ?? ensureDevelopmentKey(app.path(), app.logger)
 */
export function ensureDevelopmentKey(basePath: string, logger?: Logger): string {
  const lock = join(basePath, '.env.lock')
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    let fd: number | undefined
    try {
      fd = openSync(lock, 'wx', 0o600)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    if (fd !== undefined) {
      try {
        // Another process may have written the key while this one waited for the lock.
        const existing = readEnvKeyFile(basePath)
        if (existing.source === 'env' && existing.current.length > 0) return existing.current[existing.current.length - 1]
        const key = generateJwtKey()
        writeEnvKey(basePath, key)
        logger?.warn('JWT_SECRET_KEY was not set: wrote a new development key to .env (run `langvel key:generate` to replace it)', {
          file: join(basePath, '.env'),
        })
        return key
      } finally {
        closeSync(fd)
        rmSync(lock, { force: true })
      }
    }
    const existing = readEnvKeyFile(basePath)
    if (existing.source === 'env' && existing.current.length > 0) return existing.current[existing.current.length - 1]
    if (Date.now() > deadline || lockAge(lock) > STALE_LOCK_MS) rmSync(lock, { force: true })
    sleepSync(25)
  }
}

function lockAge(lock: string): number {
  try {
    return Date.now() - statSync(lock).mtimeMs
  } catch {
    return 0
  }
}
