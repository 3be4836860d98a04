/**
 * Permission strings are dot-separated segments (`agents.support.invoke`).
 * A granted permission may use `*`:
 *
 * - `*` alone grants everything;
 * - a trailing `.*` grants the prefix itself and everything below it
 *   (`admin.*` grants `admin`, `admin.users` and `admin.users.delete`);
 * - `*` anywhere else stands for exactly one segment
 *   (`api.*.write` grants `api.orders.write`, not `api.write` nor `api.a.b.write`).
 *
 * The required permission is always taken literally: a route that asks for
 * `admin.*` is satisfied by a grant of `admin.*` (or a wider one), never by
 * `admin.users` alone.
 */

type Matcher = (required: string) => boolean

const compiled = new Map<string, Matcher>()
/** Grants come from a bounded set (roles, key scopes); the bound only guards against pathological input. */
const MAX_COMPILED = 10_000

function validSegments(permission: string): string[] | undefined {
  if (permission.length === 0) return undefined
  const segments = permission.split('.')
  return segments.every((segment) => segment.length > 0) ? segments : undefined
}

function compile(granted: string): Matcher {
  if (granted === '*') return (required) => validSegments(required) !== undefined
  const segments = validSegments(granted)
  if (!segments) return () => false
  if (!segments.includes('*')) return (required) => required === granted

  const trailing = segments[segments.length - 1] === '*'
  const fixed = trailing ? segments.slice(0, -1) : segments
  return (required) => {
    if (required === granted) return true
    const wanted = validSegments(required)
    if (!wanted) return false
    if (trailing ? wanted.length < fixed.length : wanted.length !== fixed.length) return false
    for (let index = 0; index < fixed.length; index++) {
      if (fixed[index] !== '*' && fixed[index] !== wanted[index]) return false
    }
    return true
  }
}

function matcherFor(granted: string): Matcher {
  let matcher = compiled.get(granted)
  if (!matcher) {
    matcher = compile(granted)
    if (compiled.size >= MAX_COMPILED) compiled.clear()
    compiled.set(granted, matcher)
  }
  return matcher
}

/**
 * True when one granted permission covers the required one.
 *
 * @example
 * permissionMatches('admin.*', 'admin')          // true
 * permissionMatches('api.*.write', 'api.x.write') // true
 * permissionMatches('api.*.write', 'api.write')   // false
 */
export function permissionMatches(granted: string, required: string): boolean {
  return matcherFor(granted)(required)
}

/**
 * True when any of the granted permissions covers the required one.
 *
 * @example
 * hasPermission(principal.permissions, 'threads.read')
 */
export function hasPermission(granted: readonly string[] | undefined, required: string): boolean {
  if (!granted) return false
  for (const permission of granted) {
    if (matcherFor(permission)(required)) return true
  }
  return false
}

/** Every required permission must be covered. */
export function hasAllPermissions(granted: readonly string[] | undefined, required: readonly string[]): boolean {
  return required.every((permission) => hasPermission(granted, permission))
}
