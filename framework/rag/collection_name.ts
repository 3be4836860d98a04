import { E_INVALID_COLLECTION } from '../errors'

const ALLOWED = /^[a-zA-Z0-9._-]+$/
const EDGES = /^[a-zA-Z0-9](.*[a-zA-Z0-9])?$/s

/**
 * Checks a collection name against Chroma's rules (3 to 512 characters of
 * letters, digits, `.`, `_` and `-`, starting and ending with a letter or a
 * digit) before any request, so a bad name is a clear 400 rather than the
 * store's validation message (which names the server).
 *
 * @example
 * validateCollectionName('docs')    // 'docs'
 * validateCollectionName('my docs') // throws E_INVALID_COLLECTION
 */
export function validateCollectionName(name: string): string {
  if (typeof name !== 'string') throw new E_INVALID_COLLECTION(String(name), 'expected a string')
  if (name.length < 3 || name.length > 512) throw new E_INVALID_COLLECTION(name, 'expected 3 to 512 characters')
  if (!ALLOWED.test(name)) throw new E_INVALID_COLLECTION(name, 'only letters, digits, ".", "_" and "-" are allowed')
  if (!EDGES.test(name)) throw new E_INVALID_COLLECTION(name, 'must start and end with a letter or a digit')
  return name
}
