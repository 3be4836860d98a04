import { MiddlewareRegistry, parseMiddleware } from '../../../../framework/agents/middleware'

describe('parseMiddleware', () => {
  it('splits a reference into a name and comma-separated arguments', () => {
    expect(parseMiddleware('throttle:10,60')).toEqual({ name: 'throttle', args: ['10', '60'] })
    expect(parseMiddleware('logging')).toEqual({ name: 'logging', args: [] })
    expect(parseMiddleware(' can: agents.run , admin ')).toEqual({ name: 'can', args: ['agents.run', 'admin'] })
    expect(parseMiddleware('cache:a:b')).toEqual({ name: 'cache', args: ['a:b'] })
  })

  it('rejects a reference with no usable name as E_UNKNOWN_MIDDLEWARE', () => {
    for (const spec of ['', ':10', '10:x', 'has space']) {
      expect(() => parseMiddleware(spec)).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_MIDDLEWARE' }))
    }
  })
})

describe('MiddlewareRegistry', () => {
  const make = () => {
    const built: string[][] = []
    const registry = new MiddlewareRegistry<{ name: string; args: string[] }>()
      .register('throttle', (args) => (built.push(args), { name: 'throttle', args }))
      .register('logging', (args) => ({ name: 'logging', args }))
    return { registry, built }
  }

  it('builds a middleware from its factory with the parsed arguments', () => {
    const { registry } = make()
    expect(registry.resolve('throttle:10,60')).toEqual({ name: 'throttle', args: ['10', '60'] })
    expect(registry.resolveAll(['logging', 'throttle:1,1']).map((m) => m.name)).toEqual(['logging', 'throttle'])
  })

  it('throws E_UNKNOWN_MIDDLEWARE naming the registered middleware', () => {
    const { registry } = make()
    expect(() => registry.resolve('trottle:10,60')).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_MIDDLEWARE', details: { spec: 'trottle:10,60' } }))
  })

  it('checks every name before building any middleware', () => {
    const { registry, built } = make()
    expect(() => registry.resolveAll(['throttle:1,1', 'missing'])).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_MIDDLEWARE' }))
    expect(() => registry.assertKnown(['throttle:1,1', 'logging'])).not.toThrow()
    expect(built).toEqual([])
  })

  it('lists names sorted, lets an app replace a built-in, and refuses a name with arguments', () => {
    const { registry } = make()
    registry.register('logging', () => ({ name: 'custom-logging', args: [] }))

    expect(registry.names()).toEqual(['logging', 'throttle'])
    expect(registry.resolve('logging').name).toBe('custom-logging')
    expect(() => registry.register('throttle:10', () => ({ name: 'x', args: [] }))).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_MIDDLEWARE' }))
  })
})
