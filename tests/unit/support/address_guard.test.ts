import type { LookupAddress } from 'node:dns'
import { blockedAddress, guardedLookup, isPrivateAddress, PrivateAddressError } from '../../../framework/support/address_guard'

function resolveWith(lookup: ReturnType<typeof guardedLookup>, host: string, all: boolean): Promise<unknown> {
  return new Promise((resolve, reject) => {
    lookup(host, { all }, (error: Error | null, address: string | LookupAddress[]) => (error ? reject(error) : resolve(address)))
  })
}

describe('address guard', () => {
  it('tells private addresses from public ones, IPv4 inside IPv6 included', () => {
    expect(['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.0.1', '169.254.169.254', '::1', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1'].every(isPrivateAddress)).toBe(true)
    expect(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111'].some(isPrivateAddress)).toBe(false)
  })

  it('refuses the special-purpose ranges of the IANA registries: IETF assignments, documentation, discard-only, benchmarking', () => {
    const special = ['192.0.0.1', '192.0.0.170', '192.0.2.10', '198.51.100.7', '203.0.113.200', '192.88.99.1', '198.19.0.1', '2001:db8::1', '2001:db8:ffff::1', '100::1', '100::1:2:3:4', '2001::1', '2001:2::1', '3fff::1', '::ffff:192.0.2.1', '64:ff9b::c633:6401']
    expect(special.filter((address) => !isPrivateAddress(address))).toEqual([])
    // Their public neighbours stay reachable.
    expect(['192.0.3.1', '198.51.101.1', '203.0.114.1', '2001:db9::1', '101::1', '2606:4700::1'].filter(isPrivateAddress)).toEqual([])
  })

  it('gives up on a name that does not resolve within the lookup timeout (ETIMEOUT)', async () => {
    const never = () => new Promise<never>(() => undefined)
    await expect(blockedAddress('slow.example', false, { lookupTimeoutMs: 50, resolve: never })).rejects.toMatchObject({ code: 'ETIMEOUT' })
  })

  it('finds the private address a name resolves to, unless the filter allows it', async () => {
    expect(await blockedAddress('localhost', false)).toMatch(/^(127\.0\.0\.1|::1)$/)
    expect(await blockedAddress('localhost', ({ host }) => host === 'localhost')).toBeUndefined()
    expect(await blockedAddress('10.0.0.1', true)).toBeUndefined()
  })

  it('refuses at connect time a name that resolves to a private address, in both lookup forms', async () => {
    const lookup = guardedLookup(false)
    await expect(resolveWith(lookup, 'localhost', true)).rejects.toBeInstanceOf(PrivateAddressError)
    await expect(resolveWith(lookup, 'localhost', false)).rejects.toMatchObject({ code: 'EPRIVATEADDRESS', host: 'localhost' })
  })

  it('hands the addresses on when the filter allows them', async () => {
    const lookup = guardedLookup(({ host }) => host === 'localhost')
    expect(await resolveWith(lookup, 'localhost', true)).toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) })]))
    expect(await resolveWith(lookup, 'localhost', false)).toMatch(/^(127\.0\.0\.1|::1)$/)
  })
})
