import { isAbsolute, resolve } from 'node:path'
import { E_INVALID_CONFIG } from '../errors'

export type DatabaseDialect = 'sqlite' | 'postgres'

export type DatabaseTarget =
  | { dialect: 'postgres'; url: string }
  /** `filename` is absolute, or `:memory:`. */
  | { dialect: 'sqlite'; filename: string }

/** Where the embedded database lives when DATABASE_URL is empty, relative to the project root. */
export const DEFAULT_SQLITE_FILE = 'storage/database.sqlite'

/**
 * Turns DATABASE_URL into a connection target without loading any driver.
 *
 * - empty: SQLite at `<project>/storage/database.sqlite`
 * - `postgres://...` / `postgresql://...`: PostgreSQL, the URL is handed to pg as is
 * - `sqlite:<path>` / `file:<path>`: a SQLite file; `sqlite:///abs/db.sqlite` and
 *   `sqlite:/abs/db.sqlite` are absolute, `sqlite:./db.sqlite` and `sqlite:db.sqlite`
 *   are relative to the project root; a bare `sqlite:` is the default file;
 *   `sqlite::memory:` is an in-memory database
 *
 * @example
 * parseDatabaseUrl(undefined, '/srv/app') // { dialect: 'sqlite', filename: '/srv/app/storage/database.sqlite' }
 * parseDatabaseUrl('postgres://app@db/app', '/srv/app') // { dialect: 'postgres', url: 'postgres://app@db/app' }
 */
export function parseDatabaseUrl(url: string | undefined, basePath: string): DatabaseTarget {
  if (!url) return { dialect: 'sqlite', filename: resolve(basePath, DEFAULT_SQLITE_FILE) }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase()
  if (scheme === 'postgres' || scheme === 'postgresql') return { dialect: 'postgres', url }
  if (scheme !== 'sqlite' && scheme !== 'file') {
    throw new E_INVALID_CONFIG([`DATABASE_URL: unsupported scheme "${scheme ?? ''}" (use postgres://, postgresql://, sqlite: or file:)`])
  }
  // The path is everything after the scheme, minus an empty or localhost authority
  // (`sqlite:///x` -> `/x`) and any query string; it may be percent-encoded.
  let path = url.slice(scheme.length + 1).replace(/[?#].*$/, '')
  if (path.startsWith('//')) {
    path = path.slice(2)
    if (path.startsWith('localhost/')) path = path.slice('localhost'.length)
  }
  path = decodeURIComponent(path)
  if (path === ':memory:') return { dialect: 'sqlite', filename: ':memory:' }
  if (path === '') return { dialect: 'sqlite', filename: resolve(basePath, DEFAULT_SQLITE_FILE) }
  return { dialect: 'sqlite', filename: isAbsolute(path) ? path : resolve(basePath, path) }
}
