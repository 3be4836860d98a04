import { E_UNKNOWN_MIDDLEWARE } from '../errors'

/** A middleware reference split into its name and arguments. */
export interface MiddlewareSpec {
  name: string
  args: string[]
}

const NAME = /^[a-zA-Z][a-zA-Z0-9_.-]*$/

/**
 * The one parser of middleware references, Laravel style: everything after
 * the first `:` is a comma-separated argument list. Routes, groups and agent
 * classes all write references this way, and the registry reads them here.
 *
 * @example
 * parseMiddlewareSpec('throttle:10,60') // { name: 'throttle', args: ['10', '60'] }
 * parseMiddlewareSpec('logging')        // { name: 'logging', args: [] }
 */
export function parseMiddlewareSpec(spec: string): MiddlewareSpec {
  const text = typeof spec === 'string' ? spec.trim() : ''
  const colon = text.indexOf(':')
  const name = colon === -1 ? text : text.slice(0, colon)
  if (!NAME.test(name)) throw new E_UNKNOWN_MIDDLEWARE(String(spec), [], 'a malformed reference', { details: { spec, reason: 'malformed' } })
  const rest = colon === -1 ? '' : text.slice(colon + 1)
  const args = rest === '' ? [] : rest.split(',').map((arg) => arg.trim())
  return { name, args }
}
