import { join } from 'node:path'
import { discoverConfigFiles, loadConfig } from '../../../framework/config/loader'

const definitions = discoverConfigFiles(join(__dirname, '..', '..', '..', 'config'))

/** The E_INVALID_CONFIG the environment causes, or undefined when it loads. */
function configError(env: Record<string, string>): { code: string; details: Array<{ key: string; message: string }> } | undefined {
  try {
    loadConfig(definitions, env)
    return undefined
  } catch (error) {
    return error as { code: string; details: Array<{ key: string; message: string }> }
  }
}

describe('CORS_ORIGINS (config/server.ts)', () => {
  it('accepts http(s) origins with an optional port, and *', () => {
    const { values } = loadConfig(definitions, { CORS_ORIGINS: 'https://app.example.com, http://localhost:3000,http://[::1]:8080,*' })
    expect((values.server as { corsOrigins: string[] }).corsOrigins).toEqual(['https://app.example.com', 'http://localhost:3000', 'http://[::1]:8080', '*'])
  })

  it('refuses every entry that is not an origin, naming each, alongside the other bad keys', () => {
    const error = configError({ CORS_ORIGINS: 'notaurl,ftp://x,https://ok.example.com,https://app.example.com/admin', SERVER_PORT: 'eighty' })
    expect(error?.code).toBe('E_INVALID_CONFIG')
    expect(error?.details.map((detail) => detail.key).sort()).toEqual(['CORS_ORIGINS', 'SERVER_PORT'])
    const message = error!.details.find((detail) => detail.key === 'CORS_ORIGINS')!.message
    for (const bad of ['"notaurl"', '"ftp://x"', '"https://app.example.com/admin"']) expect(message).toContain(bad)
    expect(message).not.toContain('"https://ok.example.com"')
  })

  it.each([
    ['a trailing slash', 'https://app.example.com/', 'https://app.example.com'],
    ['upper-case letters', 'https://App.Example.com', 'https://app.example.com'],
    ['the default port', 'https://app.example.com:443', 'https://app.example.com'],
  ])('refuses an origin with %s, which no browser Origin header would ever match, and says how to write it', (_what, entry, origin) => {
    const error = configError({ CORS_ORIGINS: entry })
    expect(error?.details).toEqual([expect.objectContaining({ key: 'CORS_ORIGINS', message: expect.stringContaining(`use "${origin}"`) })])
  })

  it.each(['https://user:pw@app.example.com', 'https://app.example.com?x=1', 'https://app.example.com#top'])('refuses %s', (entry) => {
    expect(configError({ CORS_ORIGINS: entry })?.details.map((detail) => detail.key)).toEqual(['CORS_ORIGINS'])
  })
})
