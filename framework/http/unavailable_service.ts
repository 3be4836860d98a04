/*
 * Connection-level failures of the services a run depends on (Redis, the
 * database), told apart from bugs so the client gets 503 and Retry-After
 * instead of 500. Matched by shape, not class: driver errors cross module
 * realms, and ioredis and pg do not export stable classes for all of them.
 */

type ErrorShape = { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; errors?: unknown }

/** PostgreSQL SQLSTATEs meaning "no connection": class 08 (connection exception), shutdowns, cannot connect now, too many connections. */
const PG_UNAVAILABLE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/
/** pg and pg-pool messages for a connection that went away or never came. */
const PG_MESSAGES = /^(Connection terminated( unexpectedly| due to connection timeout)?|Client has encountered a connection error and is not queryable)$/
/** Socket-level codes of Node's net and dns modules. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'])
/** ioredis: retries per request used up, every cluster node down, a command sent on a closed connection or unanswered in time. */
const REDIS_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError'])
const REDIS_MESSAGES = new Set(['Connection is closed.', 'Command timed out'])

/**
 * Which service is unreachable when `error` (or an error in its cause chain,
 * or one of an AggregateError's) is a connection failure: `Redis`,
 * `The database`, or `A service the run depends on` for a bare socket error.
 * Undefined for anything else. The answer names a kind of service, never a
 * host or port.
 *
 * @example
 * unavailableService(new MaxRetriesPerRequestError(2)) // 'Redis'
 */
export function unavailableService(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 5) return undefined
  const { name, code, message, cause, errors } = error as ErrorShape
  if ((typeof name === 'string' && REDIS_NAMES.has(name)) || (typeof message === 'string' && REDIS_MESSAGES.has(message))) return 'Redis'
  if (name === 'KnexTimeoutError' || (typeof message === 'string' && PG_MESSAGES.test(message))) return 'The database'
  if (typeof code === 'string' && PG_UNAVAILABLE.test(code)) return 'The database'
  const nested = [cause, ...(Array.isArray(errors) ? errors : [])]
  for (const inner of nested) {
    const service = unavailableService(inner, depth + 1)
    if (service) return service
  }
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'A service the run depends on'
  return undefined
}
