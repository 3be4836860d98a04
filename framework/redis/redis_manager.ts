import type { Redis } from 'ioredis'

export interface RedisManagerOptions {
  url: string
  prefix: string
}

/**
 * Named ioredis connections, created on first use and closed on shutdown.
 * Commands that block or subscribe ask for their own named connection.
 *
 * @example
 * const redis = app.make('redis').connection()
 * await redis.incr('hits')
 */
export class RedisManager {
  private readonly connections = new Map<string, Redis>()

  constructor(readonly options: RedisManagerOptions) {}

  connection(name = 'default'): Redis {
    let connection = this.connections.get(name)
    if (!connection) {
      // Required lazily so commands that never touch Redis do not load ioredis.
      const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis')
      connection = new RedisClient(this.options.url, {
        lazyConnect: false,
        maxRetriesPerRequest: 2,
        enableOfflineQueue: true,
        connectionName: `langvel:${name}`,
      })
      // Errors surface on the commands that fail; an unhandled 'error' event would crash the process.
      connection.on('error', () => undefined)
      this.connections.set(name, connection)
    }
    return connection
  }

  /** Pings the default connection; resolves with the round trip in ms. */
  async ping(): Promise<number> {
    const started = performance.now()
    await this.connection().ping()
    return performance.now() - started
  }

  async close(): Promise<void> {
    const open = [...this.connections.values()]
    this.connections.clear()
    await Promise.all(
      open.map(async (connection) => {
        // A connection that is not ready (reconnecting to a dead server) would queue QUIT forever
        // and keep its reconnect timer alive: drop it at once instead.
        if (connection.status !== 'ready') {
          connection.disconnect()
          return
        }
        try {
          await connection.quit()
        } catch {
          connection.disconnect()
        }
      }),
    )
  }
}
