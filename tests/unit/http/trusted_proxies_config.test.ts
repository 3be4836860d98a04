import { join } from 'node:path'
import express from 'express'
import { discoverConfigFiles, loadConfig } from '../../../framework/config/loader'

const definitions = discoverConfigFiles(join(__dirname, '..', '..', '..', 'config'))

function trustedProxies(env: Record<string, string>): unknown {
  return (loadConfig(definitions, env).values.server as { trustedProxies: unknown }).trustedProxies
}

/** The E_INVALID_CONFIG the environment causes, or undefined when it loads. */
function configError(env: Record<string, string>): { code: string; details: Array<{ key: string; message: string }> } | undefined {
  try {
    loadConfig(definitions, env)
    return undefined
  } catch (error) {
    return error as { code: string; details: Array<{ key: string; message: string }> }
  }
}

describe('TRUSTED_PROXIES (config/server.ts)', () => {
  it('trusts no proxy when unset or empty', () => {
    expect(trustedProxies({})).toEqual([])
    expect(trustedProxies({ TRUSTED_PROXIES: ' , ' })).toEqual([])
  })

  it('reads a lone whole number as a hop count', () => {
    expect(trustedProxies({ TRUSTED_PROXIES: '2' })).toBe(2)
  })

  it('accepts IPv4 and IPv6 addresses, CIDR ranges and the named ranges, trimmed', () => {
    const value = '10.0.0.0/8, 127.0.0.1,::1 ,fd00::/8,loopback,linklocal,uniquelocal'
    expect(trustedProxies({ TRUSTED_PROXIES: value })).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8', 'loopback', 'linklocal', 'uniquelocal'])
  })

  it('accepts only what Express can compile into its trust function', () => {
    const app = express()
    for (const value of ['10.0.0.0/8,127.0.0.1,::1,fd00::/8,loopback', '3', '']) {
      expect(() => app.set('trust proxy', trustedProxies({ TRUSTED_PROXIES: value }))).not.toThrow()
    }
  })

  it('refuses every bad entry, naming each, alongside the other bad keys', () => {
    const error = configError({ TRUSTED_PROXIES: 'proxy.internal,10.0.0.1,10.0.0.0/33,::1/129,10.0.0.0/0,256.1.1.1', SERVER_PORT: 'eighty' })
    expect(error?.code).toBe('E_INVALID_CONFIG')
    expect(error?.details.map((detail) => detail.key).sort()).toEqual(['SERVER_PORT', 'TRUSTED_PROXIES'])
    const message = error!.details.find((detail) => detail.key === 'TRUSTED_PROXIES')!.message
    for (const bad of ['"proxy.internal"', '"10.0.0.0/33"', '"::1/129"', '"10.0.0.0/0"', '"256.1.1.1"']) expect(message).toContain(bad)
    expect(message).not.toContain('"10.0.0.1"')
  })

  it.each([
    ['a hop count among addresses', '1,10.0.0.1'],
    ['a negative hop count', '-1'],
    ['a fractional hop count', '1.5'],
    ['trusting every peer', '*'],
    ['trusting every peer', 'true'],
    ['a named range in capitals', 'LOOPBACK'],
  ])('refuses %s (%s)', (_what, value) => {
    expect(configError({ TRUSTED_PROXIES: value })?.details.map((detail) => detail.key)).toEqual(['TRUSTED_PROXIES'])
  })
})
