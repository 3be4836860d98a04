import { lookup } from 'node:dns/promises'
import { BlockList, isIP, type LookupFunction } from 'node:net'
import { lookup as lookupCallback, type LookupAddress } from 'node:dns'

/**
 * Decides whether one private address may be requested (`host` as written in
 * the URL; `port` the URL's port, its scheme's default when it has none, when
 * the caller knows it).
 */
export type PrivateTargetFilter = (target: { host: string; address: string; port?: number }) => boolean

/**
 * IPv4 ranges that are not the public internet, after the IANA IPv4
 * Special-Purpose Address Registry (every entry not globally reachable) plus
 * multicast: this network, private, shared (CGNAT), loopback, link-local,
 * IETF protocol assignments, documentation (TEST-NET-1/2/3), the deprecated
 * 6to4 relay anycast, benchmarking, multicast, reserved and broadcast.
 */
const BLOCKED_V4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
]
/**
 * IPv6 ranges refused whole, after the IANA IPv6 Special-Purpose Address
 * Registry: ::/96 (unspecified, loopback and the deprecated IPv4-compatible
 * ::a.b.c.d), local-use NAT64, discard-only and dummy prefixes, Teredo,
 * benchmarking, deprecated ORCHID, documentation (2001:db8::/32 and
 * 3fff::/20), SRv6 SIDs, unique-local, link-local, site-local and multicast.
 */
const BLOCKED_V6: ReadonlyArray<readonly [string, number]> = [
  ['::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['100:0:0:1::', 64],
  ['2001::', 32],
  ['2001:2::', 48],
  ['2001:10::', 28],
  ['2001:db8::', 32],
  ['3fff::', 20],
  ['5f00::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
]
/**
 * IPv6 forms that carry an IPv4 address and reach it: each IPv4 range above
 * is refused inside them too (prefix, bit offset of the IPv4 address).
 * IPv4-mapped, IPv4-translated (SIIT), NAT64 well-known prefix, 6to4.
 */
const V4_CARRIERS: ReadonlyArray<readonly [(groups: string) => string, number]> = [
  [(groups) => `::ffff:${groups}`, 96],
  [(groups) => `::ffff:0:${groups}`, 96],
  [(groups) => `64:ff9b::${groups}`, 96],
  [(groups) => `2002:${groups}::`, 16],
]

/** `10.1.0.0` as the two IPv6 groups `a01:0`. */
function v4Groups(address: string): string {
  const [a, b, c, d] = address.split('.').map(Number)
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
}

const BLOCKED = new BlockList()
for (const [network, prefix] of BLOCKED_V4) {
  BLOCKED.addSubnet(network, prefix, 'ipv4')
  for (const [carrier, offset] of V4_CARRIERS) BLOCKED.addSubnet(carrier(v4Groups(network)), offset + prefix, 'ipv6')
}
for (const [network, prefix] of BLOCKED_V6) BLOCKED.addSubnet(network, prefix, 'ipv6')

/**
 * True for a loopback, private, link-local or otherwise non-public address
 * (IPv4, IPv6, and IPv6 forms carrying an IPv4 address).
 *
 * @example
 * isPrivateAddress('10.0.0.5') // true
 * isPrivateAddress('::ffff:127.0.0.1') // true
 */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 0) return false
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

/** `[::1]` as `::1`: the host of a URL as an address or a name. */
export function urlHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1')
}

/**
 * The first address of `host` that is private and not let through by
 * `allowPrivate`, or undefined when every address is allowed. A name is
 * resolved and every address it resolves to is checked, so a public-looking
 * name pointing at 127.0.0.1 is caught too.
 *
 * @example
 * const blocked = await blockedAddress('metadata.internal', false)
 */
export async function blockedAddress(host: string, allowPrivate: boolean | PrivateTargetFilter, options: BlockedAddressOptions = {}): Promise<string | undefined> {
  if (allowPrivate === true) return undefined
  const addresses = isIP(host) ? [host] : (await lookupWithin(host, options.lookupTimeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS, options.resolve ?? defaultResolve)).map((entry) => entry.address)
  return firstBlocked(host, addresses, allowPrivate)
}

export interface BlockedAddressOptions {
  /** Longest wait for the name to resolve, in ms (default 5000); then the check fails with ETIMEOUT. */
  lookupTimeoutMs?: number
  /** Resolves a name to every address of it (default: the system resolver, as connections use). */
  resolve?: (host: string) => Promise<LookupAddress[]>
}

const defaultResolve = (host: string) => lookup(host, { all: true, verbatim: true })

/** How long a name may take to resolve before the check gives up (ETIMEOUT). */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 5000

/** Every address of `host`, or an error with code ETIMEOUT after `timeoutMs` (the resolver's own wait can be far longer). */
async function lookupWithin(host: string, timeoutMs: number, resolve: (host: string) => Promise<LookupAddress[]>): Promise<LookupAddress[]> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`looking up ${host} took longer than ${timeoutMs} ms`), { code: 'ETIMEOUT' })), timeoutMs)
  })
  try {
    return await Promise.race([resolve(host), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function firstBlocked(host: string, addresses: string[], allowPrivate: boolean | PrivateTargetFilter): string | undefined {
  if (allowPrivate === true) return undefined
  const allowed = typeof allowPrivate === 'function' ? allowPrivate : () => false
  return addresses.find((address) => isPrivateAddress(address) && !allowed({ host, address }))
}

/** Raised by guardedLookup when a name resolves to an address that is not allowed. */
export class PrivateAddressError extends Error {
  readonly code = 'EPRIVATEADDRESS'
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`refused to connect to ${host} (${address}): loopback, private, link-local and other non-public addresses are not allowed`)
    this.name = 'PrivateAddressError'
  }
}

/**
 * A `lookup` for node:http / node:net that refuses private addresses at the
 * moment of connecting: the address checked is the address connected to, so
 * a name whose DNS answer changes between a first check and the connection
 * (DNS rebinding) is refused too.
 *
 * @example
 * http.request(url, { lookup: guardedLookup(false) })
 */
export function guardedLookup(allowPrivate: boolean | PrivateTargetFilter): LookupFunction {
  return (hostname, options, callback) => {
    lookupCallback(hostname, { ...options, all: true, verbatim: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0)
      const blocked = firstBlocked(hostname, addresses.map((entry) => entry.address), allowPrivate)
      if (blocked !== undefined) return callback(new PrivateAddressError(hostname, blocked), '', 0)
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses)
      const first = addresses[0]
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0)
      callback(null, first.address, first.family)
    })
  }
}
