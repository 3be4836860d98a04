import type { Logger } from '../logger'

/** A pooled driver connection (a pg Client): emits 'error' when its socket dies. */
export interface ErrorEmitter {
  on(event: 'error', listener: (error: Error) => void): unknown
}

/**
 * Gives a pooled PostgreSQL connection an 'error' listener for its whole
 * life. A connection the server terminates (failover, restart, an idle
 * session killer) emits 'error' whether it is idle or checked out; a client
 * checked out with `pool.connect()` has no listener of its own, and an
 * unhandled 'error' event ends the process. The queries in flight on the
 * connection fail by themselves and the pool drops it on release, so this
 * only records the loss: once per connection, though pg emits twice (the
 * server's error, then the closed socket).
 *
 * @example
 * pool.on('connect', (client) => watchConnectionLoss(client, { logger, pool: 'checkpointer' }))
 */
export function watchConnectionLoss(connection: ErrorEmitter, options: { logger?: Logger; pool: string }): void {
  let reported = false
  connection.on('error', (error) => {
    if (reported) return
    reported = true
    options.logger?.warn('database connection lost; the pool replaces it', { pool: options.pool, code: (error as { code?: unknown }).code, reason: error.message })
  })
}
