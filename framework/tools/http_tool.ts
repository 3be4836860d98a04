import { z, type ZodType } from 'zod'
import { E_RUNTIME, isException } from '../errors'
import { blockedAddress, urlHost, type PrivateTargetFilter } from '../support/address_guard'
import { defineTool } from './define_tool'
import { httpToolsAllowPrivate } from './http_tool_settings'
import type { Tool } from './tool'
import type { RetryOptions } from './types'

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export { isPrivateAddress, type PrivateTargetFilter } from '../support/address_guard'

export interface HttpToolResponse {
  status: number
  headers: Headers
  /** Parsed JSON for JSON responses, text otherwise. */
  body: unknown
}

export interface HttpToolOptions<S extends ZodType> {
  name: string
  description: string
  method?: Method
  /** URL template: `{param}` placeholders are filled from the input, URL-encoded. */
  url: string
  /** Input schema; default: a required string per placeholder. Fields not in the URL go to the query (GET, HEAD, DELETE) or the JSON body. */
  schema?: S
  headers?: Record<string, string> | ((input: z.output<S>) => Record<string, string>)
  /** Per attempt (default 10 000 ms). */
  timeoutMs?: number
  /** Retries on network errors, timeouts, 408, 429 and 5xx (default 0). */
  retry?: number | Omit<RetryOptions, 'when'>
  /** Largest response body read; beyond it the request fails (default 1 MiB). */
  maxResponseBytes?: number
  /**
   * Reach loopback, private and link-local addresses: `true`, or a function
   * allowing only some (`({ address }) => address === '10.0.0.5'`).
   * Default: HTTP_TOOL_ALLOW_PRIVATE.
   */
  allowPrivate?: boolean | PrivateTargetFilter
  /** Redirects followed, each target checked like the first URL (default 5). A redirect to another origin drops credentials and `headers`. */
  maxRedirects?: number
  /** What the model gets (default: the body). */
  transform?: (response: HttpToolResponse) => unknown
}

/** Why a request failed, and whether another attempt could help. */
class HttpToolError extends Error {
  constructor(
    message: string,
    readonly reason: 'refused' | 'too_large' | 'status' | 'redirects',
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'HttpToolError'
  }
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g
const REDIRECTS = new Set([301, 302, 303, 307, 308])
const BODY_METHODS = new Set<Method>(['POST', 'PUT', 'PATCH'])
const DEFAULT_HEADERS: Readonly<Record<string, string>> = { accept: 'application/json, text/plain;q=0.9, */*;q=0.8', 'user-agent': 'langvel-http-tool' }
/** Never sent to another origin than the one they were configured for (the tool's own `headers` neither). */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization']

/**
 * Refuses private targets by what the name resolves to, every address of it,
 * so a public-looking name pointing at 127.0.0.1 is refused too. (fetch
 * resolves again when it connects; a name whose DNS answer changes in between
 * is not caught: run untrusted URLs through an egress proxy as well.)
 */
async function checkTarget(url: URL, allowPrivate: boolean | PrivateTargetFilter): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HttpToolError(`only http and https URLs are allowed, got ${url.protocol}`, 'refused', false)
  const host = urlHost(url)
  const blocked = await blockedAddress(host, allowPrivate)
  if (blocked !== undefined) {
    throw new HttpToolError(`refused to request ${host} (${blocked}): loopback, private, link-local and other non-public addresses are not allowed (HTTP_TOOL_ALLOW_PRIVATE)`, 'refused', false)
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new HttpToolError(`response exceeds the limit of ${maxBytes} bytes`, 'too_large', false, response.status)
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined)
    throw tooLarge()
  }
  if (!response.body) return Buffer.alloc(0)
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      // Stop reading: the rest of the body is never downloaded.
      await reader.cancel().catch(() => undefined)
      throw tooLarge()
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}

function parseBody(bytes: Buffer, contentType: string | null): unknown {
  const text = bytes.toString('utf8')
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}

/**
 * Before a redirect to another origin (scheme, host or port): what
 * authenticates the caller to the first one must not reach the second, which
 * may be anyone's. Defaults the tool's headers replaced come back.
 */
function dropCredentials(headers: Headers, configured: readonly string[], jsonBody: boolean): void {
  for (const name of [...CREDENTIAL_HEADERS, ...configured]) headers.delete(name)
  for (const [name, value] of Object.entries(DEFAULT_HEADERS)) if (!headers.has(name)) headers.set(name, value)
  if (jsonBody && !headers.has('content-type')) headers.set('content-type', 'application/json')
}

function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1])
}

/**
 * A tool that makes one HTTP request: the URL is a template filled from the
 * model's arguments (URL-encoded), other arguments become the query string
 * or a JSON body. Requests to loopback, private and link-local addresses are
 * refused (HTTP_TOOL_ALLOW_PRIVATE or `allowPrivate` lifts that), redirects
 * are followed by hand so each hop is checked (and a hop to another origin
 * goes without Authorization, Cookie, Proxy-Authorization and the tool's
 * `headers`), the body is read up to
 * `maxResponseBytes`, and failures end as E_TOOL_FAILED / E_TOOL_TIMEOUT.
 *
 * @example
 * export const weatherTool = httpTool({
 *   name: 'get_weather',
 *   description: 'Current weather of a city.',
 *   url: 'https://api.weather.example/v1/current/{city}',
 *   schema: z.object({ city: z.string().min(1), units: z.enum(['metric', 'imperial']).default('metric') }),
 *   headers: { authorization: `Bearer ${process.env.WEATHER_TOKEN}` },
 *   timeoutMs: 5000,
 *   retry: 2,
 * })
 */
export function httpTool<S extends ZodType = z.ZodObject<Record<string, z.ZodString>>>(options: HttpToolOptions<S>): Tool<S, unknown> {
  const method = (options.method ?? 'GET').toUpperCase() as Method
  const names = placeholders(options.url)
  const schema = (options.schema ?? z.object(Object.fromEntries(names.map((name) => [name, z.string().min(1)])))) as S
  const maxBytes = options.maxResponseBytes ?? 1024 * 1024
  if (!(Number.isInteger(maxBytes) && maxBytes > 0)) throw new E_RUNTIME(`httpTool "${options.name}": maxResponseBytes must be a positive integer`)
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape
  const unknown = shape ? names.filter((name) => !(name in shape)) : []
  if (unknown.length > 0) throw new E_RUNTIME(`httpTool "${options.name}": the URL uses {${unknown.join('}, {')}}, which the schema does not declare`)
  const retry = typeof options.retry === 'number' ? { retries: options.retry } : (options.retry ?? { retries: 0 })

  return defineTool({
    name: options.name,
    description: options.description,
    schema,
    timeoutMs: options.timeoutMs ?? 10_000,
    retry: {
      ...retry,
      when: (error) => (error instanceof HttpToolError ? error.retryable : !(isException(error) && error.status < 500)),
    },
    handler: async (input, { signal }) => {
      const values = (input ?? {}) as Record<string, unknown>
      const rest = { ...values }
      let url = new URL(
        options.url.replace(PLACEHOLDER, (_, name: string) => {
          delete rest[name]
          return encodeURIComponent(String(values[name] ?? ''))
        }),
      )
      let requestMethod: Method = method
      let body = BODY_METHODS.has(method) ? JSON.stringify(rest) : undefined
      if (!body) {
        for (const [key, value] of Object.entries(rest)) {
          for (const item of Array.isArray(value) ? value : [value]) if (item !== undefined && item !== null) url.searchParams.append(key, String(item))
        }
      }
      const headers = new Headers(DEFAULT_HEADERS)
      if (body) headers.set('content-type', 'application/json')
      const custom = typeof options.headers === 'function' ? options.headers(input) : options.headers
      for (const [key, value] of Object.entries(custom ?? {})) headers.set(key, value)
      const allowPrivate = options.allowPrivate ?? httpToolsAllowPrivate()

      let response: Response
      for (let redirects = 0; ; redirects++) {
        await checkTarget(url, allowPrivate)
        response = await fetch(url, { method: requestMethod, headers, body, signal, redirect: 'manual' })
        const location = response.headers.get('location')
        if (!REDIRECTS.has(response.status) || !location) break
        await response.body?.cancel().catch(() => undefined)
        if (redirects >= (options.maxRedirects ?? 5)) throw new HttpToolError(`more than ${options.maxRedirects ?? 5} redirects`, 'redirects', false, response.status)
        const next = new URL(location, url)
        if (next.origin !== url.origin) dropCredentials(headers, Object.keys(custom ?? {}), body !== undefined)
        url = next
        if (response.status === 303 || (response.status !== 307 && response.status !== 308 && requestMethod === 'POST')) {
          requestMethod = 'GET'
          body = undefined
          headers.delete('content-type')
        }
      }
      const bytes = await readCapped(response, maxBytes)
      if (!response.ok) {
        const retryable = response.status === 408 || response.status === 429 || response.status >= 500
        throw new HttpToolError(`HTTP ${response.status} from ${url.host}: ${bytes.toString('utf8').slice(0, 200)}`, 'status', retryable, response.status)
      }
      const result: HttpToolResponse = { status: response.status, headers: response.headers, body: parseBody(bytes, response.headers.get('content-type')) }
      return options.transform ? options.transform(result) : result.body
    },
  })
}
