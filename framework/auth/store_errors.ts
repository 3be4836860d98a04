import { E_NOT_MIGRATED, E_SERVICE_UNAVAILABLE, isException } from '../errors'

/** PostgreSQL's undefined_table, SQLite's "no such table". Matched by shape: driver errors cross realms. */
export function isMissingTable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  return code === '42P01' || (typeof message === 'string' && message.includes('no such table'))
}

/**
 * Runs one store operation and turns driver failures into framework errors:
 * missing tables into E_NOT_MIGRATED (run `langvel migrate`), anything else
 * (connection refused, timeout) into E_SERVICE_UNAVAILABLE (503), the driver
 * error kept as the cause for the log. Authentication fails closed: a
 * credential whose revocation cannot be checked is not accepted.
 *
 * @example
 * return guardStore(() => knex('auth_api_keys').where({ key_hash: hash }).first())
 */
export async function guardStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    if (isException(error)) throw error
    if (isMissingTable(error)) throw new E_NOT_MIGRATED('The authentication tables', { cause: error })
    throw new E_SERVICE_UNAVAILABLE('The authentication store', { cause: error })
  }
}
