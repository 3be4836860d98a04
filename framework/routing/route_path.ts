import { E_ROUTE_INVALID } from '../errors'

export const MAX_ROUTE_PATH_LENGTH = 200

const SEGMENT = /^[a-z0-9_-]+$/

/**
 * Checks a full route path (or a group prefix) and returns it unchanged.
 * Paths become URL paths and log fields, so they are kept to a small,
 * unambiguous alphabet: `/` then lowercase segments of `a-z 0-9 - _`.
 *
 * @example
 * assertRoutePath('/admin/support') // ok
 * assertRoutePath('/Support/')      // throws E_ROUTE_INVALID
 */
export function assertRoutePath(path: string): string {
  const fail = (reason: string, rule: string) => new E_ROUTE_INVALID(String(path), reason, { details: { path, rule } })
  if (typeof path !== 'string' || path.length === 0) throw fail('a path is required', 'required')
  if (path.length > MAX_ROUTE_PATH_LENGTH) throw fail(`longer than ${MAX_ROUTE_PATH_LENGTH} characters`, 'max_length')
  if (!path.startsWith('/')) throw fail('must start with "/"', 'leading_slash')
  if (path === '/') throw fail('"/" alone is not an agent route', 'root')
  if (path.endsWith('/')) throw fail('must not end with "/"', 'trailing_slash')
  for (const segment of path.slice(1).split('/')) {
    if (segment === '') throw fail('contains an empty segment ("//")', 'empty_segment')
    if (segment === '.' || segment === '..') throw fail('"." and ".." segments are not allowed', 'dot_segment')
    if (!SEGMENT.test(segment)) throw fail(`segment "${segment}" may only contain lowercase letters, digits, "-" and "_"`, 'characters')
  }
  return path
}

/**
 * Joins a group prefix and a route path. Inside a group, `'/'` names the
 * prefix itself (`group({ prefix: '/billing' })` + `'/'` = `/billing`).
 */
export function joinRoutePath(prefix: string, path: string): string {
  if (prefix === '') return assertRoutePath(path)
  if (path === '/' || path === '') return assertRoutePath(prefix)
  return assertRoutePath(`${prefix}${path.startsWith('/') ? '' : '/'}${path}`)
}
