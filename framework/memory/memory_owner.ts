import type { Principal } from '../contracts/request_context'
import { E_INVALID_INPUT } from '../errors'

/** The owner of runs that have no principal, when MEMORY_ALLOW_ANONYMOUS lets them remember. */
export const ANONYMOUS_OWNER = 'anonymous'

const PRINCIPAL_TYPES = ['user', 'api_key', 'system'] as const

/**
 * The owner key of a principal, `<type>:<id>` (as thread ownership records
 * it), so an API key and a user with the same id never share a memory.
 */
export function ownerOf(principal: Principal): string {
  return `${principal.type}:${principal.id}`
}

/**
 * Reads an owner as typed on the command line: `user:42`, `api_key:k_1`,
 * `system:cli`, `anonymous`, or a bare id, which means a user.
 *
 * @example
 * parseOwner('42')        // 'user:42'
 * parseOwner('api_key:7') // 'api_key:7'
 */
export function parseOwner(text: string): string {
  const value = text.trim()
  if (value === '') throw new E_INVALID_INPUT('the principal is empty: give `user:<id>`, `api_key:<id>` or `anonymous`')
  if (value === ANONYMOUS_OWNER) return value
  const colon = value.indexOf(':')
  const type = colon < 0 ? '' : value.slice(0, colon)
  if ((PRINCIPAL_TYPES as readonly string[]).includes(type) && value.length > colon + 1) return value
  return `user:${value}`
}

/**
 * The store namespace of an owner: `['memories', <label>]`. LangGraph's stores
 * refuse `.`, `%`, `_` and `\` in labels and the Postgres store joins labels
 * with `:`, so the owner is escaped (`~` + hex) to letters, digits and `-`;
 * `anonymous` has no `~`, so it is never an escaped owner.
 */
export function memoryNamespace(owner: string): string[] {
  if (owner === ANONYMOUS_OWNER) return ['memories', ANONYMOUS_OWNER]
  const label = [...Buffer.from(owner, 'utf8')].map((byte) => (isPlain(byte) ? String.fromCharCode(byte) : `~${byte.toString(16).padStart(2, '0')}`)).join('')
  return ['memories', label]
}

/** A-Z a-z 0-9 and '-'. */
function isPlain(byte: number): boolean {
  return (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte === 45
}
