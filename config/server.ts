import { isIP } from 'node:net'
import { z } from 'zod'
import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

/**
 * Why a CORS_ORIGINS entry can never match a browser's `Origin` header, if it
 * cannot: browsers send `scheme://host[:port]`, lower-case, without a path or
 * the scheme's default port, and the CORS middleware compares exactly.
 */
function originProblem(entry: string): string | undefined {
  if (entry === '*') return undefined
  let url: URL
  try {
    url = new URL(entry)
  } catch {
    return `"${entry}" is not an origin`
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `"${entry}" is not an http(s) origin`
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return `"${entry}" has more than scheme, host and port`
  if (entry !== url.origin) return `"${entry}" is written differently from what browsers send: use "${url.origin}"`
  return undefined
}

const corsOrigins = env.list([]).pipe(
  z.array(z.string()).superRefine((origins, ctx) => {
    const problems = origins.map(originProblem).filter((problem) => problem !== undefined)
    if (problems.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `expected origins such as https://app.example.com or http://localhost:3000 (scheme, host, optional port; no path), or *: ${problems.join('; ')}`,
      })
    }
  }),
)

/** The address ranges Express's `trust proxy` (proxy-addr) knows by name. */
const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal']

/**
 * Why a TRUSTED_PROXIES entry is not an address Express can trust, if it is
 * not: an IP, a CIDR range (prefix length 1 or more) or a named range.
 */
function proxyProblem(entry: string): string | undefined {
  if (NAMED_RANGES.includes(entry)) return undefined
  if (/^\d+$/.test(entry)) return `"${entry}": a hop count must be the only value`
  if (entry === '*' || entry === 'true') return `"${entry}" would let any client choose its own IP: list your proxies' addresses, or give a hop count`
  const [address, prefix, extra] = entry.split('/')
  const version = isIP(address)
  if (version === 0 || extra !== undefined) return `"${entry}" is not an IP address, a CIDR range or one of ${NAMED_RANGES.join(', ')}`
  if (prefix === undefined) return undefined
  const bits = version === 4 ? 32 : 128
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) < 1 || Number(prefix) > bits) return `"${entry}" needs a prefix length from /1 to /${bits}`
  return undefined
}

/**
 * TRUSTED_PROXIES in the form Express's `trust proxy` takes: a hop count, or
 * the addresses and ranges whose X-Forwarded-* headers are believed (none
 * when empty).
 */
const trustedProxies = env.list([]).transform((entries, ctx): number | string[] => {
  if (entries.length === 1 && /^\d+$/.test(entries[0])) return Number(entries[0])
  const problems = entries.map(proxyProblem).filter((problem) => problem !== undefined)
  if (problems.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `expected IP addresses or CIDR ranges of your proxies (e.g. 10.0.0.0/8,127.0.0.1), loopback, linklocal, uniquelocal, or a number of proxy hops (e.g. 1): ${problems.join('; ')}`,
    })
    return z.NEVER
  }
  return entries
})

export default defineConfig({
  env: {
    SERVER_HOST: env.string('127.0.0.1'),
    SERVER_PORT: env.port(8000),
    SERVER_WORKERS: env.integer(1, 1, 64),
    AGENT_TIMEOUT: env.integer(300, 1, 86_400),
    MAX_CONCURRENT_REQUESTS: env.integer(100, 1, 100_000),
    MAX_QUEUE_SIZE: env.integer(100, 0, 1_000_000),
    MAX_REQUEST_BODY_BYTES: env.integer(10 * 1024 * 1024, 1, 1024 * 1024 * 1024),
    CORS_ORIGINS: corsOrigins,
    TRUSTED_PROXIES: trustedProxies,
    SHUTDOWN_GRACE_SECONDS: env.integer(30, 0, 3600),
  },
  resolve: (e) => ({
    host: e.SERVER_HOST,
    port: e.SERVER_PORT,
    workers: e.SERVER_WORKERS,
    agentTimeoutSeconds: e.AGENT_TIMEOUT,
    maxConcurrentRequests: e.MAX_CONCURRENT_REQUESTS,
    maxQueueSize: e.MAX_QUEUE_SIZE,
    maxRequestBodyBytes: e.MAX_REQUEST_BODY_BYTES,
    corsOrigins: e.CORS_ORIGINS,
    trustedProxies: e.TRUSTED_PROXIES,
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
  }),
  check: (config, { appEnv }) =>
    config.corsOrigins.includes('*')
      ? [
          {
            key: 'CORS_ORIGINS',
            message:
              'contains "*", which lets any website call your agents. List the allowed origins instead, e.g. CORS_ORIGINS=https://app.example.com,https://admin.example.com',
            severity: appEnv === 'production' ? 'error' : 'warning',
          },
        ]
      : [],
})
