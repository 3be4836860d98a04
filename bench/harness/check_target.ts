import type { BenchTarget } from '../targets'

export type TargetCheck = { status: 'ok' } | { status: 'skipped'; reason: string }

/**
 * Below this X-RateLimit-Limit a target would mostly answer 429 under load:
 * a benchmark of the limiter refusing, not of the route.
 */
export const MIN_RATE_LIMIT = 100_000

/**
 * Sends one request before the load and checks the answer, so a benchmark
 * never reports the speed of a 404, a 401 or a 429. An optional target the
 * server does not route (404), or a route whose rate limit is too low to
 * benchmark, comes back as `skipped` with the reason; any other wrong answer throws.
 *
 * @example
 * const check = await checkTarget(server.url, target, headers)
 * if (check.status === 'skipped') notes.push(check.reason)
 */
export async function checkTarget(url: string, target: BenchTarget, headers: Record<string, string>): Promise<TargetCheck> {
  const response = await fetch(`${url}${target.path}`, {
    method: target.method,
    headers: { 'content-type': 'application/json', ...headers },
    body: target.body === undefined ? undefined : JSON.stringify(target.body),
    signal: AbortSignal.timeout(15_000),
  })
  const text = await response.text()
  if (response.status === 404 && target.optional) {
    return { status: 'skipped', reason: `${target.name} skipped: the server does not route ${target.method} ${target.path} (404)` }
  }
  if (!response.ok || !text.includes(target.expect)) {
    throw new Error(`${target.name}: ${target.method} ${target.path} answered ${response.status}, expected 2xx containing ${JSON.stringify(target.expect)}: ${text.slice(0, 300)}`)
  }
  const limit = Number(response.headers.get('x-ratelimit-limit') ?? Infinity)
  if (limit < MIN_RATE_LIMIT) {
    return {
      status: 'skipped',
      reason:
        `${target.name} skipped: ${target.path} allows ${limit} requests per window (X-RateLimit-Limit), so nearly every benchmark request would be a 429. ` +
        'Give the route a limit the environment can raise (see docs/benchmarks.md)',
    }
  }
  return { status: 'ok' }
}

/**
 * Whether the server routes the path at all, asked without credentials:
 * anything but 404 (401, 403, 422...) means the route exists.
 */
export async function routeExists(url: string, target: BenchTarget): Promise<boolean> {
  const response = await fetch(`${url}${target.path}`, {
    method: target.method,
    headers: { 'content-type': 'application/json' },
    body: target.body === undefined ? undefined : JSON.stringify(target.body),
    signal: AbortSignal.timeout(15_000),
  })
  await response.arrayBuffer()
  return response.status !== 404
}
