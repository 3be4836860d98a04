import { join } from 'node:path'
import { discoverConfigFiles, loadConfig } from '../../../framework/config/loader'

const definitions = discoverConfigFiles(join(__dirname, '..', '..', '..', 'config'))
const settings = (env: Record<string, string>) => loadConfig(definitions, env).values.langgraph_api as { enabled: boolean; middleware: string[] }

describe('config/langgraph_api.ts', () => {
  it('serves the protocol by default, with no middleware of its own', () => {
    expect(settings({})).toEqual({ enabled: true, middleware: [] })
  })

  it('reads LANGGRAPH_API_ENABLED and a comma list of middleware, none meaning none', () => {
    expect(settings({ LANGGRAPH_API_ENABLED: 'false', LANGGRAPH_API_MIDDLEWARE: 'auth, throttle' })).toEqual({ enabled: false, middleware: ['auth', 'throttle'] })
    expect(settings({ LANGGRAPH_API_MIDDLEWARE: 'none' }).middleware).toEqual([])
  })

  it('refuses none listed with names, and a malformed boolean, naming the keys', () => {
    let details: Array<{ key: string }> = []
    try {
      loadConfig(definitions, { LANGGRAPH_API_MIDDLEWARE: 'none,auth', LANGGRAPH_API_ENABLED: 'maybe' })
    } catch (error) {
      details = (error as { details: Array<{ key: string }> }).details
    }
    expect(details.map((detail) => detail.key).sort()).toEqual(['LANGGRAPH_API_ENABLED', 'LANGGRAPH_API_MIDDLEWARE'])
  })
})
