import { isIP } from 'node:net'
import { E_WEBHOOK_REFUSED } from '../errors'
import { blockedAddress, urlHost, type PrivateTargetFilter } from '../support/address_guard'

/**
 * The private-address filter for WEBHOOK_ALLOWED_HOSTS: a host listed there
 * (as written in the URL, case-insensitive) may resolve to a loopback or
 * private address; every other host must be public.
 */
export function allowedHostsFilter(allowedHosts: readonly string[]): PrivateTargetFilter {
  const allowed = new Set(allowedHosts.map((host) => host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1')).filter(Boolean))
  return ({ host }) => allowed.has(host.toLowerCase())
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

/**
 * Checks a destination before a delivery is accepted: the URL's form, then
 * every address its host resolves to. E_WEBHOOK_REFUSED (400) for a private
 * address not allowed by WEBHOOK_ALLOWED_HOSTS or a name that does not
 * resolve. The address is checked again when each attempt connects.
 *
 * @example
 * await checkWebhookUrl(body.webhook, allowedHostsFilter(config.allowedHosts))
 */
export async function checkWebhookUrl(value: string, allowPrivate: PrivateTargetFilter): Promise<URL> {
  const url = parseWebhookUrl(value)
  const host = urlHost(url)
  let blocked: string | undefined
  try {
    blocked = await blockedAddress(host, allowPrivate)
  } catch (error) {
    throw new E_WEBHOOK_REFUSED(`${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'lookup failed'})`)
  }
  if (blocked !== undefined) throw new E_WEBHOOK_REFUSED(refusedReason(host, blocked))
  return url
}

export function refusedReason(host: string, address: string): string {
  const shown = isIP(host) ? host : `${host} (${address})`
  return `${shown} is a loopback, private, link-local or other non-public address; list the host in WEBHOOK_ALLOWED_HOSTS to allow it`
}
