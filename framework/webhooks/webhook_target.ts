import { isIP } from 'node:net'
import { E_INVALID_CONFIG, E_WEBHOOK_REFUSED } from '../errors'
import type { Logger } from '../logger'
import { blockedAddress, urlHost, type PrivateTargetFilter } from '../support/address_guard'

/**
 * The private-address filter for WEBHOOK_ALLOWED_HOSTS. An entry is
 * `host:port` (only that port), `host:*` (any port) or a bare `host` (only the
 * standard ports 80 and 443); IPv6 addresses are written in brackets with a
 * port (`[::1]:8080`). A host matches as written in the URL,
 * case-insensitive. A listed host may resolve to a loopback or private
 * address; every other destination must be public. A malformed entry is
 * E_INVALID_CONFIG.
 *
 * @example
 * allowedHostsFilter(['receiver.internal:8443', 'localhost:*'])
 */
export function allowedHostsFilter(allowedHosts: readonly string[]): PrivateTargetFilter {
  const problems = allowedHostsProblems(allowedHosts)
  if (problems.length > 0) throw new E_INVALID_CONFIG(problems)
  const rules = allowedHosts.map((entry) => entry.trim()).filter(Boolean).map((entry) => parseAllowedHost(entry) as AllowedHost)
  return ({ host, port }) => {
    const name = host.toLowerCase()
    return rules.some((rule) => rule.host === name && (rule.port === '*' ? true : port !== undefined && rule.ports.includes(port)))
  }
}

interface AllowedHost {
  host: string
  port: '*' | number
  ports: number[]
}

/** What is wrong with each malformed WEBHOOK_ALLOWED_HOSTS entry (none: an empty list). */
export function allowedHostsProblems(allowedHosts: readonly string[]): string[] {
  return allowedHosts
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map(parseAllowedHost)
    .filter((parsed): parsed is string => typeof parsed === 'string')
}

function parseAllowedHost(entry: string): AllowedHost | string {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}|\*))?$/.exec(entry)
  let host: string
  let port: string | undefined
  if (bracketed) [, host, port] = bracketed
  else if (isIP(entry) === 6) host = entry
  else {
    const match = /^([^:\s/@]+)(?::(\d{1,5}|\*))?$/.exec(entry)
    if (!match) return `WEBHOOK_ALLOWED_HOSTS: "${entry}" is not a host, host:port or host:* entry`
    ;[, host, port] = match
  }
  const number = port === undefined || port === '*' ? undefined : Number(port)
  if (number !== undefined && (number < 1 || number > 65_535)) return `WEBHOOK_ALLOWED_HOSTS: "${entry}" has a port outside 1-65535`
  return { host: host.toLowerCase(), port: port === '*' ? '*' : (number ?? 0), ports: number === undefined ? [80, 443] : [number] }
}

/** The URL's port, its scheme's default when it has none. */
export function urlPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
}

/** `filter` told the port of `url`, so host:port entries apply. */
export function filterForUrl(filter: PrivateTargetFilter, url: URL): PrivateTargetFilter {
  const port = urlPort(url)
  return (target) => filter({ ...target, port })
}

/** The URL of a webhook destination, parsed; E_WEBHOOK_REFUSED unless it is an http(s) URL without credentials. */
export function parseWebhookUrl(value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new E_WEBHOOK_REFUSED('not a URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new E_WEBHOOK_REFUSED(`only http and https URLs are allowed, got ${url.protocol}`)
  if (url.username || url.password) throw new E_WEBHOOK_REFUSED('the URL must not carry credentials')
  return url
}

export interface CheckWebhookUrlOptions {
  /** Where the reason of a refusal is written (the client is told only that the destination is not allowed). */
  logger?: Pick<Logger, 'warn'>
  /** Longest wait for the name to resolve (default 5 s). */
  lookupTimeoutMs?: number
}

/** What a client is told when its destination is refused: nothing about what the name resolves to. */
export const REFUSED_DESTINATION = 'the destination must resolve to a public address, or its host and port be listed in WEBHOOK_ALLOWED_HOSTS'

/**
 * Checks a destination before a delivery is accepted: the URL's form, then
 * every address its host resolves to. E_WEBHOOK_REFUSED (400) for a private
 * address not allowed by WEBHOOK_ALLOWED_HOSTS or a name that does not
 * resolve (in time), with the same message for both so a client learns
 * nothing of the internal network; the reason goes to the server log. The
 * address is checked again when each attempt connects.
 *
 * @example
 * await checkWebhookUrl(body.webhook, allowedHostsFilter(config.allowedHosts), { logger })
 */
export async function checkWebhookUrl(value: string, allowPrivate: PrivateTargetFilter, options: CheckWebhookUrlOptions = {}): Promise<URL> {
  const url = parseWebhookUrl(value)
  const host = urlHost(url)
  let reason: string | undefined
  try {
    const blocked = await blockedAddress(host, filterForUrl(allowPrivate, url), { lookupTimeoutMs: options.lookupTimeoutMs })
    if (blocked !== undefined) reason = refusedReason(host, blocked)
  } catch (error) {
    reason = `${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'lookup failed'})`
  }
  if (reason !== undefined) {
    options.logger?.warn('webhook destination refused', { host: url.host, reason })
    throw new E_WEBHOOK_REFUSED(REFUSED_DESTINATION)
  }
  return url
}

export function refusedReason(host: string, address: string): string {
  const shown = isIP(host) ? host : `${host} (${address})`
  return `${shown} is a loopback, private, link-local or other non-public address; list the host and port in WEBHOOK_ALLOWED_HOSTS to allow it`
}
