import { MiddlewareRegistry } from '../../../framework/pipeline/middleware_registry'
import { parseMiddlewareSpec } from '../../../framework/pipeline/middleware_spec'

describe('parseMiddlewareSpec', () => {
  it('splits a reference into a name and comma-separated arguments', () => {
    expect(parseMiddlewareSpec('throttle:10,60')).toEqual({ name: 'throttle', args: ['10', '60'] })
    expect(parseMiddlewareSpec('logging')).toEqual({ name: 'logging', args: [] })
    expect(parseMiddlewareSpec(' can: agents.run , admin ')).toEqual({ name: 'can', args: ['agents.run', 'admin'] })
    expect(parseMiddlewareSpec('cache:a:b')).toEqual({ name: 'cache', args: ['a:b'] })
  })

  it('rejects a reference with no usable name as E_UNKNOWN_MIDDLEWARE', () => {
    for (const spec of ['', ':10', '10:x', 'has space']) {
      expect(() => parseMiddlewareSpec(spec)).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_MIDDLEWARE', details: { spec, reason: 'malformed' } }))
    }
  })
})

describe('MiddlewareRegistry', () => {
  interface Built {
    stage: string
    name: string
    args: string[]
  }
  const make = () => {
    const built: string[] = []
    const registry = new MiddlewareRegistry<Built, Built>()
      .register('auth', { stage: 'request', create: (args) => (built.push('auth'), { stage: 'request', name: 'auth', args }) })
      .register('throttle', { stage: 'request', create: (args) => (built.push('throttle'), { stage: 'request', name: 'throttle', args }) })
      .register('logging', { stage: 'run', create: (args) => (built.push('logging'), { stage: 'run', name: 'logging', args }) })
    return { registry, built }
  }

  it('builds only the middleware of the stage asked for, in order, with their parsed arguments', () => {
    const { registry, built } = make()
    const specs = ['auth', 'logging:debug', 'throttle:10,60']

    expect(registry.resolve(specs, 'request', 'route /a')).toEqual([
      { stage: 'request', name: 'auth', args: [] },
      { stage: 'request', name: 'throttle', args: ['10', '60'] },
    ])
    expect(registry.resolve(specs, 'run', 'route /a')).toEqual([{ stage: 'run', name: 'logging', args: ['debug'] }])
    expect(built).toEqual(['auth', 'throttle', 'logging'])
    expect(registry.stageOf('throttle')).toBe('request')
    expect(registry.stageOf('logging')).toBe('run')
  })

  it('checks every name, whatever the stage, before building any: an unknown one names where it was written', () => {
    const { registry, built } = make()

    const attempt = () => registry.resolve(['logging', 'trottle:10,60'], 'run', 'agent ReportAgent (route /reports)')

    expect(attempt).toThrow(
      expect.objectContaining({
        code: 'E_UNKNOWN_MIDDLEWARE',
        message: 'Unknown middleware "trottle" in agent ReportAgent (route /reports). Registered: auth, logging, throttle',
        details: { spec: 'trottle:10,60', origin: 'agent ReportAgent (route /reports)' },
      }),
    )
    expect(built).toEqual([])
  })

  it('lists names sorted and lets an application replace a built-in, stage included', () => {
    const { registry } = make()
    registry.register('logging', { stage: 'request', create: () => ({ stage: 'request', name: 'custom-logging', args: [] }) })

    expect(registry.names()).toEqual(['auth', 'logging', 'throttle'])
    expect(registry.resolve(['logging'], 'request', 'route /a').map((m) => m.name)).toEqual(['custom-logging'])
    expect(registry.resolve(['logging'], 'run', 'route /a')).toEqual([])
  })

  it('refuses a registration with arguments in its name or without a known stage', () => {
    const { registry } = make()
    expect(() => registry.register('throttle:10', { stage: 'request', create: () => ({ stage: 'request', name: 'x', args: [] }) })).toThrow(
      expect.objectContaining({ code: 'E_UNKNOWN_MIDDLEWARE', details: { reason: 'a registered name cannot carry arguments' } }),
    )
    expect(() => registry.register('cache', { stage: 'response', create: () => ({}) } as never)).toThrow(
      expect.objectContaining({ code: 'E_UNKNOWN_MIDDLEWARE', details: { reason: 'stage must be "request" or "run"' } }),
    )
  })
})
