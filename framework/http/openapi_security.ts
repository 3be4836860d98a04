type Schema = Record<string, unknown>

/** The two credentials the `auth` middleware accepts (an API key may also come as a Bearer token). */
export const SECURITY_SCHEMES: Record<string, Schema> = {
  bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT from `langvel auth:token` (an API key is accepted as a Bearer token too)' },
  apiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key from `langvel apikey:create`' },
}

const GUARD_SCHEMES: Record<string, string> = { jwt: 'bearerAuth', api_key: 'apiKeyAuth' }

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } }
const header = (description: string, type = 'string') => ({ description, schema: { type } })

export interface RouteSecurity {
  /** The operation's `security` (alternatives), absent for a public route. */
  security?: Array<Record<string, string[]>>
  /** The 401, 403 and 429 answers the route's middleware can give. */
  responses: Record<string, Schema>
}

/**
 * What a route's middleware list means for its OpenAPI operations: `auth`
 * (`auth:jwt`, `auth:api_key`) asks for credentials and may answer 401,
 * `can:<permission>` may answer 401 and 403, `throttle` may answer 429 with
 * Retry-After and the X-RateLimit-* headers.
 *
 * @example
 * routeSecurity(['auth', 'can:reports.read', 'throttle:5,1']).security // [{ bearerAuth: [] }, { apiKeyAuth: [] }]
 */
export function routeSecurity(middleware: readonly string[]): RouteSecurity {
  const responses: Record<string, Schema> = {}
  let security: RouteSecurity['security']
  const permissions: string[] = []
  for (const spec of middleware) {
    const colon = spec.indexOf(':')
    const name = (colon === -1 ? spec : spec.slice(0, colon)).trim()
    const args = colon === -1 ? [] : spec.slice(colon + 1).split(',').map((arg) => arg.trim()).filter(Boolean)
    if (name === 'auth') {
      const schemes = args.length === 0 ? Object.values(GUARD_SCHEMES) : args.map((guard) => GUARD_SCHEMES[guard]).filter(Boolean)
      security = schemes.map((scheme) => ({ [scheme]: [] }))
      responses[401] = unauthorized()
    } else if (name === 'can') {
      permissions.push(...args)
      responses[401] ??= unauthorized()
    } else if (name === 'throttle') {
      responses[429] = {
        description: 'Rate limit reached: retry after Retry-After seconds',
        headers: {
          'Retry-After': header('Seconds until a request may succeed', 'integer'),
          'X-RateLimit-Limit': header('Requests allowed in the window', 'integer'),
          'X-RateLimit-Remaining': header('Requests left in the window', 'integer'),
          'X-RateLimit-Reset': header('Epoch seconds at which the window frees a request', 'integer'),
        },
        content: errorContent,
      }
    }
  }
  if (permissions.length > 0) responses[403] = { description: `The caller lacks a required permission (${permissions.join(', ')})`, content: errorContent }
  return security ? { security, responses } : { responses }
}

function unauthorized(): Schema {
  return { description: 'Missing or invalid credentials', headers: { 'WWW-Authenticate': header('Bearer') }, content: errorContent }
}
