import { Registry } from 'prom-client'
import { appLink } from '../../../framework/support/app_link'
import { perRegistry } from '../../../framework/support/per_registry'

describe('appLink', () => {
  it('gives the service of the application that set it, and nothing before', () => {
    const link = appLink<{ id: string }>()
    expect(link.get()).toBeUndefined()
    const first = { id: 'first' }
    link.set(() => first)
    expect(link.get()).toBe(first)
  })

  it('is cleared only by the resolver that is current: an older application shutting down leaves the newer one linked', () => {
    const link = appLink<string>()
    const older = () => 'older'
    const newer = () => 'newer'
    link.set(older)
    link.set(newer)

    expect(link.clear(older)).toBe(false)
    expect(link.get()).toBe('newer')
    expect(link.clear(newer)).toBe(true)
    expect(link.get()).toBeUndefined()
  })
})

describe('perRegistry', () => {
  it('creates one object per registry, once', () => {
    let created = 0
    const on = perRegistry((registry: Registry) => ({ registry, n: ++created }))
    const a = new Registry()
    const b = new Registry()

    expect(on(a)).toBe(on(a))
    expect(on(b)).not.toBe(on(a))
    expect(on(b).registry).toBe(b)
    expect(created).toBe(2)
  })
})
