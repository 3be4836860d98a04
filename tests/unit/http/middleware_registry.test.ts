import { MiddlewareRegistry } from '../../../framework/http/middleware_registry'

describe('MiddlewareRegistry', () => {
  it('builds a middleware from its name and colon arguments', () => {
    const registry = new MiddlewareRegistry().register('throttle', (args) => ({ name: `throttle(${args.join('|')})`, handle: (_ctx, next) => next() }))
    expect(registry.resolve('throttle:60, 1')?.name).toBe('throttle(60|1)')
  })

  it('fails with E_UNKNOWN_MIDDLEWARE for a name nobody registered', () => {
    const registry = new MiddlewareRegistry().register('auth', () => ({ name: 'auth', handle: (_ctx, next) => next() }))
    expect(() => registry.resolve('atuh')).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_MIDDLEWARE' }))
  })

  it('knows delegated names (run by the agents layer) and resolves them to nothing', () => {
    const registry = new MiddlewareRegistry().delegate('logging')
    expect(registry.has('logging')).toBe(true)
    expect(registry.resolveAll(['logging'])).toEqual([])
  })

  it('can leave every unregistered name to the agent runner', () => {
    const registry = new MiddlewareRegistry({ delegateUnknown: true }).register('auth', () => ({ name: 'auth', handle: (_ctx, next) => next() }))
    expect(registry.resolveAll(['auth', 'throttle:10,60']).map((middleware) => middleware.name)).toEqual(['auth'])
  })
})
