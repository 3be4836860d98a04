import { E_UNKNOWN_MIDDLEWARE } from '../../errors'

export interface ParsedMiddleware {
  name: string
  args: string[]
}

const NAME = /^[a-zA-Z][a-zA-Z0-9_.-]*$/

/**
 * Splits a middleware reference into its name and arguments, Laravel style:
 * everything after the first `:` is a comma-separated argument list.
 *
 * @example
 * parseMiddleware('throttle:10,60') // { name: 'throttle', args: ['10', '60'] }
 * parseMiddleware('logging')        // { name: 'logging', args: [] }
 */
export function parseMiddleware(spec: string): ParsedMiddleware {
  const text = typeof spec === 'string' ? spec.trim() : ''
  const colon = text.indexOf(':')
  const name = colon === -1 ? text : text.slice(0, colon)
  if (!NAME.test(name)) throw new E_UNKNOWN_MIDDLEWARE(String(spec), [], { details: { spec, reason: 'malformed' } })
  const rest = colon === -1 ? '' : text.slice(colon + 1)
  const args = rest === '' ? [] : rest.split(',').map((arg) => arg.trim())
  return { name, args }
}
