import type { Redis } from 'ioredis'
import type { Logger } from '../logger'
import { backoffDelay } from '../support/backoff'

/** What config/redis.ts defaults to, so a manager built by hand waits no longer than a configured one. */
export const REDIS_DEFAULTS = {
  commandTimeoutMs: 1000,
  reconnectMaxDelayMs: 2000,
} as const

/** The first reconnect follows a lost connection within this; each failure doubles it, up to `reconnectMaxDelayMs` (jittered). */
const FIRST_RECONNECT_DELAY_MS = 50

export interface RedisManagerOptions {
  url: string
  prefix: string
  /** Longest wait for one command's answer, a connection attempt or a clean disconnect (REDIS_COMMAND_TIMEOUT_MS). */
  commandTimeoutMs?: number
  /** Longest pause between reconnect attempts while Redis is down (REDIS_RECONNECT_MAX_DELAY_MS). */
  reconnectMaxDelayMs?: number
  /** Told once when a connection is lost and once when it is back. */
  logger?: Logger
}

interface Managed {
  client: Redis
  failures: number
  down: boolean
  lastError?: Error
  timer?: NodeJS.Timeout
}

/**
 * Named ioredis connections, created on first use and closed on shutdown.
 * Every wait on Redis is bounded here, so the stores that use these
 * connections need no timers of their own:
 *
 * - a command that gets no answer within `commandTimeoutMs` rejects;
 * - a lost connection (or a first one that fails) is known to be down: the
 *   client is left closed, so commands reject at once ("Connection is
 *   closed.") instead of queueing, and in-flight commands are rejected, not
 *   resent. The manager reconnects the same client in the background, with
 *   a backoff capped at `reconnectMaxDelayMs`; commands sent while an attempt
 *   is under way wait for it, within their timeout.
 *
 * Commands that block (BLPOP, XREAD BLOCK) would trip the command timeout:
 * they need a client of their own, outside this manager.
 *
 * @example
 * const redis = app.make('redis').connection()
 * await redis.incr('hits')
 */
export class RedisManager {
  private readonly connections = new Map<string, Managed>()
  private readonly commandTimeoutMs: number
  private readonly reconnectMaxDelayMs: number

  constructor(readonly options: RedisManagerOptions) {
    this.commandTimeoutMs = options.commandTimeoutMs ?? REDIS_DEFAULTS.commandTimeoutMs
    this.reconnectMaxDelayMs = options.reconnectMaxDelayMs ?? REDIS_DEFAULTS.reconnectMaxDelayMs
  }

  connection(name = 'default'): Redis {
    return this.managed(name).client
  }

  /**
   * Pings the default connection; resolves with the round trip in ms. While
   * Redis is down it rejects with the reason the connection failed
   * (ECONNREFUSED...), which health checks show, rather than ioredis's
   * "Connection is closed.".
   */
  async ping(): Promise<number> {
    const started = performance.now()
    const managed = this.managed('default')
    try {
      await managed.client.ping()
    } catch (error) {
      throw managed.down && managed.lastError ? managed.lastError : error
    }
    return performance.now() - started
  }

  async close(): Promise<void> {
    const open = [...this.connections.values()]
    // Cleared first: a connection no longer registered is never reconnected (see watch).
    this.connections.clear()
    await Promise.all(
      open.map(async ({ client, timer }) => {
        clearTimeout(timer)
        // Already closed (Redis is down): ending the old socket again would only arm a timer.
        if (client.status === 'end') return
        // QUIT would wait on a connection that is not ready: drop it at once instead.
        if (client.status !== 'ready') {
          client.disconnect()
          return
        }
        try {
          // Bounded by the command timeout when the server has stopped answering.
          await client.quit()
        } catch {
          client.disconnect()
        }
      }),
    )
  }

  private managed(name: string): Managed {
    let managed = this.connections.get(name)
    if (!managed) {
      // Required lazily so commands that never touch Redis do not load ioredis.
      const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis')
      const client = new RedisClient(this.options.url, {
        lazyConnect: false,
        connectionName: `langvel:${name}`,
        commandTimeout: this.commandTimeoutMs,
        connectTimeout: this.commandTimeoutMs,
        // A server that stopped answering never acknowledges our end of the socket: destroy it this soon.
        disconnectTimeout: this.commandTimeoutMs,
        // ioredis's own reconnect loop would keep the client "reconnecting" and queue every command
        // until an attempt succeeds; ending the client instead makes a down Redis fail commands at once.
        retryStrategy: () => null,
      })
      managed = { client, failures: 0, down: false }
      this.watch(name, managed)
      this.connections.set(name, managed)
    }
    return managed
  }

  private watch(name: string, managed: Managed): void {
    const { client } = managed
    // Errors surface on the commands that fail; an unhandled 'error' event would crash the process.
    client.on('error', (error: Error) => {
      managed.lastError = error
    })
    client.on('ready', () => {
      managed.failures = 0
      managed.lastError = undefined
      if (managed.down) this.options.logger?.info('redis connection is back', { connection: name })
      managed.down = false
    })
    client.on('end', () => {
      if (this.connections.get(name) !== managed) return
      if (!managed.down) this.options.logger?.warn('redis connection is down; commands fail until it is back', { connection: name, error: managed.lastError })
      managed.down = true
      managed.failures += 1
      const delay = backoffDelay(managed.failures, FIRST_RECONNECT_DELAY_MS, this.reconnectMaxDelayMs)
      managed.timer = setTimeout(() => {
        managed.timer = undefined
        // A failed attempt ends the client again, which schedules the next one.
        if (this.connections.get(name) === managed && client.status === 'end') client.connect().catch(() => undefined)
      }, delay)
      // Reconnecting never keeps a process alive on its own.
      managed.timer.unref()
    })
  }
}
