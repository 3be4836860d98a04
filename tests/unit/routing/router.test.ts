import { join } from 'node:path'
import { loadRoutes, Route, Router } from '../../../framework/routing'
import { BillingAgent, ReportAgent, SupportAgent } from './fixtures/fake_agents'

describe('Router', () => {
  it('registers an agent route with middleware, name, timeout and description', () => {
    const router = new Router()
    router.agent('/support', SupportAgent).middleware('auth', 'throttle:10,60').name('support').timeout(120).description('Customer support')

    expect(router.get('/support').definition).toEqual({
      path: '/support',
      agent: SupportAgent,
      middleware: ['auth', 'throttle:10,60'],
      name: 'support',
      timeoutSeconds: 120,
      description: 'Customer support',
    })
    expect(router.findByName('support')?.path).toBe('/support')
  })

  it('composes nested group prefixes, middleware (outer first) and name prefixes', () => {
    const router = new Router()
    router.group({ prefix: '/admin', middleware: ['auth'], as: 'admin.' }, () => {
      router.group({ prefix: '/finance', middleware: ['can:finance', 'auth'] }, () => {
        router.agent('/billing', BillingAgent).middleware('logging').name('billing')
        router.agent('/', ReportAgent)
      })
      router.agent('/reports', ReportAgent)
    })
    router.agent('/support', SupportAgent)

    expect(router.routes().map((r) => r.path)).toEqual(['/admin/finance/billing', '/admin/finance', '/admin/reports', '/support'])
    expect(router.get('/admin/finance/billing').definition).toMatchObject({ middleware: ['auth', 'can:finance', 'logging'], name: 'admin.billing' })
    expect(router.get('/admin/reports').definition.middleware).toEqual(['auth'])
    expect(router.get('/support').definition.middleware).toEqual([])
  })

  it('rejects invalid paths with E_ROUTE_INVALID when the route is registered', () => {
    const router = new Router()
    const invalid = ['', 'support', '/', '/support/', '//support', '/a//b', '/a/../b', '/a/./b', '/Support', '/sup port', '/support.json', `/${'a'.repeat(200)}`]
    for (const path of invalid) {
      expect(() => router.agent(path, SupportAgent)).toThrow(expect.objectContaining({ code: 'E_ROUTE_INVALID' }))
    }
    expect(() => router.group({ prefix: '/Admin' }, () => undefined)).toThrow(expect.objectContaining({ code: 'E_ROUTE_INVALID' }))
    expect(router.size).toBe(0)
  })

  it('accepts lowercase letters, digits, "-" and "_" in segments', () => {
    const router = new Router()
    for (const path of ['/support', '/v2/support-bot', '/team_a/agent-1']) router.agent(path, SupportAgent)
    expect(router.size).toBe(3)
  })

  it('refuses a second route at the same path, and a second route with the same name', () => {
    const router = new Router()
    router.agent('/support', SupportAgent).name('support')

    expect(() => router.agent('/support', ReportAgent)).toThrow(expect.objectContaining({ code: 'E_DUPLICATE_ROUTE' }))
    router.group({ prefix: '/x' }, () => {
      expect(() => router.agent('/support', ReportAgent)).not.toThrow()
    })
    expect(() => router.agent('/reports', ReportAgent).name('support')).toThrow(expect.objectContaining({ code: 'E_DUPLICATE_ROUTE' }))
  })

  it('renaming a route frees its old name', () => {
    const router = new Router()
    const route = router.agent('/support', SupportAgent).name('old')
    route.name('new')

    expect(router.findByName('old')).toBeUndefined()
    expect(() => router.agent('/other', ReportAgent).name('old')).not.toThrow()
  })

  it('throws E_AGENT_NOT_FOUND for an unknown path', () => {
    expect(() => new Router().get('/nope')).toThrow(expect.objectContaining({ code: 'E_AGENT_NOT_FOUND' }))
  })

  it('records a durability and refuses one LangGraph does not know', () => {
    const router = new Router()
    expect(router.agent('/a', SupportAgent).durability('exit').definition.durability).toBe('exit')
    expect(router.agent('/b', SupportAgent).definition.durability).toBeUndefined()
    expect(() => router.agent('/c', SupportAgent).durability('never' as never)).toThrow(expect.objectContaining({ code: 'E_RUNTIME' }))
  })

  it('rejects a non-positive timeout', () => {
    expect(() => new Router().agent('/a', SupportAgent).timeout(0)).toThrow(expect.objectContaining({ code: 'E_RUNTIME' }))
  })
})

describe('Route facade and loadRoutes', () => {
  it('writes into the router bound by capture(), and refuses to run unbound', () => {
    const router = new Router()
    Route.capture(router, () => {
      Route.group({ prefix: '/team' }, () => {
        Route.agent('/support', SupportAgent)
      })
    })

    expect(router.find('/team/support')?.path).toBe('/team/support')
    expect(() => Route.agent('/support', SupportAgent)).toThrow(expect.objectContaining({ code: 'E_RUNTIME' }))
  })

  it('loads a route file into a fresh router, as many times as asked', () => {
    const file = join(__dirname, 'fixtures', 'agents_routes')
    const first = loadRoutes(file)
    const second = loadRoutes(file, new Router())

    for (const router of [first, second]) {
      expect(router.routes().map((r) => r.definition)).toEqual([
        { path: '/support', agent: SupportAgent, middleware: ['logging'], name: 'support', description: 'Answers customers' },
        { path: '/admin/reports', agent: ReportAgent, middleware: ['auth'], name: 'admin.reports', timeoutSeconds: 300 },
        { path: '/admin/billing', agent: BillingAgent, middleware: ['auth'] },
      ])
    }
  })

  it('refuses a route file that registers at the top level instead of exporting a function', () => {
    expect(() => loadRoutes(join(__dirname, 'fixtures', 'top_level_routes'))).toThrow(expect.objectContaining({ code: 'E_RUNTIME' }))
  })
})
