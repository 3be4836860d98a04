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
 * `system:cli`, `anonymous`, or a bare id, which means a user. A bare id
 * that itself starts with `user:`, `api_key:` or `system:` is read as that
 * type, so always type `user:<id>` when scripting.
 *
 * @example
 * parseOwner('42')        // 'user:42'
 * parseOwner('api_key:7') // 'api_key:7'
 */
export function parseOwner(text: string): string {
  const value = text.trim()
  if (value === '') throw new E_INVALID_INPUT('the principal is empty: give `user:<id>`, `api_key:<id>` or `anonymous`')
  if (value === ANONYMOUS_OWNER) return value
  assertWellFormed(value)
  const colon = value.indexOf(':')
  const type = colon < 0 ? '' : value.slice(0, colon)
  if ((PRINCIPAL_TYPES as readonly string[]).includes(type) && value.length > colon + 1) return value
  return `user:${value}`
}

/**
 * The store namespace of an owner: `['memories', <label>, 'm']` for its
 * memories, `['memories', <label>, 'e']` for its episodes. LangGraph's stores
 * refuse `.`, `%`, `_` and `\` in labels and the Postgres store joins labels
 * with `:`, so the owner is escaped (`~` + hex) to letters, digits and `-`;
 * `anonymous` has no `~`, so it is never an escaped owner. An owner holding
 * an unpaired UTF-16 surrogate is refused with E_INVALID_INPUT.
 */
export function memoryNamespace(owner: string, level: MemoryLevel = 'm'): string[] {
  if (owner === ANONYMOUS_OWNER) return ['memories', ANONYMOUS_OWNER, level]
  assertWellFormed(owner)
  const label = [...Buffer.from(owner, 'utf8')].map((byte) => (isPlain(byte) ? String.fromCharCode(byte) : `~${byte.toString(16).padStart(2, '0')}`)).join('')
  return ['memories', label, level]
}

/**
 * The last level of every memory namespace: `m` for facts, `e` for episodes.
 * Stores match a search prefix by text (Postgres: `LIKE 'memories:user~3a1:m%'`);
 * without it, `user:1` would also match the rows of `user:10`. With it, the
 * prefix of one owner is never the prefix of another (labels hold no `:`),
 * and facts and episodes never match each other's prefix.
 */
export type MemoryLevel = 'm' | 'e'

/** An unpaired UTF-16 surrogate (UTF-8 encodes every one as U+FFFD, so `x\uD800` and `x\uFFFD` would share a namespace). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** E_INVALID_INPUT for an owner that is not well-formed Unicode: it has no UTF-8 form of its own. */
function assertWellFormed(owner: string): void {
  if (LONE_SURROGATE.test(owner)) throw new E_INVALID_INPUT('the principal id is not well-formed Unicode (it holds an unpaired surrogate)')
}

/** A-Z a-z 0-9 and '-'. */
function isPlain(byte: number): boolean {
  return (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte === 45
}
