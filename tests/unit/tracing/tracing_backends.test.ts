import { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import type { AgentRouteInfo, RunOptions } from '../../../framework/contracts/agent_run'
import { Router } from '../../../framework/routing'
import { langchainTracingConflict, resolveTracingBackendsEnv, tracingBackendsProblems, type TracingBackendsEnv } from '../../../framework/tracing/backends_config'
import { activeTracingBackends, TracingBackends, untracedBackends, type BackendRun, type TracingBackend } from '../../../framework/tracing/tracing_backends'
import { tracingBackendsProvider } from '../../../framework/tracing/tracing_backends_provider'
import { Application } from '../../../framework/foundation/application'
import { createLogger, Logger } from '../../../framework/logger'
import { SupportAgent } from '../routing/fixtures/fake_agents'

const NUMBERS = { TRACING_BACKENDS_TIMEOUT_MS: 10_000, TRACING_BACKENDS_MAX_QUEUE_SIZE: 2048 }
const resolve = (env: Partial<TracingBackendsEnv>) => resolveTracingBackendsEnv({ ...NUMBERS, ...env })
const errors = (env: Partial<TracingBackendsEnv>) => tracingBackendsProblems(resolve(env)).filter((problem) => problem.severity === 'error').map((problem) => problem.key)

describe('tracing backends configuration', () => {
  it('leaves both backends off without credentials, whatever the switches say about scope', () => {
    const config = resolve({ LANGFUSE_TRACING: 'all' })
    expect(config.langsmith.scope).toBe('off')
    expect(config.langfuse.scope).toBe('off')
    expect(errors({})).toEqual([])
  })

  it('traces every route to LangSmith when either LangChain switch is true, only asking routes with just a key', () => {
    expect(resolve({ LANGSMITH_API_KEY: 'k', LANGSMITH_TRACING: 'true' }).langsmith.scope).toBe('all')
    expect(resolve({ LANGSMITH_API_KEY: 'k', LANGSMITH_TRACING: 'false', LANGCHAIN_TRACING_V2: 'true' }).langsmith.scope).toBe('all')
    expect(resolve({ LANGSMITH_API_KEY: 'k' }).langsmith.scope).toBe('routes')
    expect(resolve({ LANGSMITH_API_KEY: 'k', LANGSMITH_TRACING: '' }).langsmith.scope).toBe('routes')
  })

  it('reads every switch LangChain itself reads, and the older LANGCHAIN_* names when the LANGSMITH_* ones are unset', () => {
    for (const key of ['LANGSMITH_TRACING', 'LANGSMITH_TRACING_V2', 'LANGCHAIN_TRACING_V2', 'LANGCHAIN_TRACING'] as const) {
      expect(resolve({ LANGSMITH_API_KEY: 'k', [key]: 'true' }).langsmith.scope).toBe('all')
      expect(errors({ [key]: 'true' })).toEqual(['LANGSMITH_API_KEY'])
    }
    const legacy = resolve({ LANGCHAIN_API_KEY: 'old-key', LANGCHAIN_ENDPOINT: 'http://ls.local/', LANGCHAIN_PROJECT: 'old-project', LANGCHAIN_TRACING_V2: 'true' })
    expect(legacy.langsmith).toEqual({ scope: 'all', apiKey: 'old-key', endpoint: 'http://ls.local', project: 'old-project' })
    const both = resolve({ LANGSMITH_API_KEY: 'new', LANGCHAIN_API_KEY: 'old', LANGSMITH_PROJECT: 'p', LANGCHAIN_PROJECT: 'q' })
    expect(both.langsmith).toMatchObject({ apiKey: 'new', project: 'p' })
    expect(errors({ LANGCHAIN_ENDPOINT: 'ls.local' })).toEqual(['LANGCHAIN_ENDPOINT'])
  })

  it("names a LangChain switch on in the process environment while Langvel's LangSmith is not on for every route", () => {
    const routes = resolve({ LANGSMITH_API_KEY: 'k' })
    expect(langchainTracingConflict(routes, { LANGCHAIN_TRACING: 'true' })).toBe('LANGCHAIN_TRACING')
    expect(langchainTracingConflict(resolve({}), { LANGSMITH_TRACING_V2: 'true' })).toBe('LANGSMITH_TRACING_V2')
    // LangChain only reads exactly `true`; Langvel tracing every route leaves LangChain's own tracer out of agent runs.
    expect(langchainTracingConflict(routes, { LANGSMITH_TRACING: '1' })).toBeUndefined()
    expect(langchainTracingConflict(resolve({ LANGSMITH_API_KEY: 'k', LANGSMITH_TRACING: 'true' }), { LANGSMITH_TRACING: 'true' })).toBeUndefined()
  })

  it('traces every route to Langfuse once both keys are set, unless LANGFUSE_TRACING narrows it', () => {
    const keys = { LANGFUSE_PUBLIC_KEY: 'pk', LANGFUSE_SECRET_KEY: 'sk' }
    expect(resolve(keys).langfuse.scope).toBe('all')
    expect(resolve({ ...keys, LANGFUSE_TRACING: 'routes' }).langfuse.scope).toBe('routes')
    expect(resolve({ ...keys, LANGFUSE_TRACING: 'off' }).langfuse.scope).toBe('off')
    expect(resolve({ ...keys, LANGFUSE_BASEURL: 'http://lf.local:3000/' }).langfuse.baseUrl).toBe('http://lf.local:3000')
  })

  it('refuses bad values, naming each key', () => {
    expect(errors({ LANGSMITH_TRACING: 'true' })).toEqual(['LANGSMITH_API_KEY'])
    expect(errors({ LANGSMITH_TRACING: 'sometimes' })).toEqual(['LANGSMITH_TRACING'])
    expect(errors({ LANGSMITH_ENDPOINT: 'api.smith.langchain.com' })).toEqual(['LANGSMITH_ENDPOINT'])
    expect(errors({ LANGFUSE_PUBLIC_KEY: 'pk' })).toEqual(['LANGFUSE_SECRET_KEY'])
    expect(errors({ LANGFUSE_SECRET_KEY: 'sk' })).toEqual(['LANGFUSE_PUBLIC_KEY'])
    expect(errors({ LANGFUSE_BASEURL: 'langfuse:3000' })).toEqual(['LANGFUSE_BASEURL'])
    expect(errors({ LANGFUSE_TRACING: 'maybe' })).toEqual(['LANGFUSE_TRACING'])
  })
})

class Recorder extends BaseCallbackHandler {
  name = 'recorder'
  constructor(readonly run: BackendRun) {
    super()
  }
}

function backend(name: 'langsmith' | 'langfuse', scope: TracingBackend['scope']): TracingBackend & { runs: BackendRun[] } {
  const runs: BackendRun[] = []
  return {
    name,
    scope,
    runs,
    handler: (run) => {
      runs.push(run)
      return new Recorder(run)
    },
    shutdown: async () => undefined,
  }
}

const route = { path: '/support', name: 'support', agent: 'SupportAgent' } as AgentRouteInfo

describe('TracingBackends', () => {
  it('attaches a backend on for every route, and one for asking routes only where the route asks', () => {
    const all = backend('langsmith', 'all')
    const asked = backend('langfuse', 'routes')
    const backends = new TracingBackends([all, asked], 1000)
    expect(backends.for([]).map((item) => item.name)).toEqual(['langsmith'])
    expect(backends.for(['langfuse']).map((item) => item.name)).toEqual(['langsmith', 'langfuse'])
    expect(new TracingBackends([backend('langfuse', 'off')], 1000).for(['langfuse'])).toEqual([])
  })

  it("names the trace after the route and carries the run's thread, principal and request", () => {
    const all = backend('langsmith', 'all')
    const existing = new Recorder({ name: 'x', path: '/x', agent: 'X', threadId: 't' })
    const options: RunOptions = new TracingBackends([all], 1000).attach<RunOptions>(route, undefined, {
      callbacks: [existing],
      context: { requestId: 'req-1', traceId: 'trace-1', principal: { id: 'alice', type: 'user', permissions: [] } },
    })
    expect(all.runs).toEqual([{ name: 'support', path: '/support', agent: 'SupportAgent', threadId: options.threadId, principalId: 'alice', requestId: 'req-1' }])
    expect(options.threadId).toEqual(expect.any(String))
    expect(options.callbacks?.[0]).toBe(existing)
    expect(options.callbacks).toHaveLength(2)
    const unnamed = new TracingBackends([all], 1000).attach({ ...route, name: undefined }, undefined, { threadId: 'thread-9' })
    expect(unnamed.threadId).toBe('thread-9')
    expect(all.runs[1]).toMatchObject({ name: '/support', threadId: 'thread-9' })
  })

  it('names the backends a route asks for that will not trace it', () => {
    const backends = new TracingBackends([backend('langsmith', 'routes'), backend('langfuse', 'off')], 1000)
    expect(untracedBackends(['langsmith', 'langfuse'], backends)).toEqual(['langfuse'])
    expect(untracedBackends(['langsmith'], undefined)).toEqual(['langsmith'])
    expect(untracedBackends(undefined, backends)).toEqual([])
  })

  it('bounds the whole shutdown by one timeout, whatever a backend does', async () => {
    const given: number[] = []
    const stuck: TracingBackend = { ...backend('langsmith', 'all'), shutdown: (timeoutMs) => (given.push(timeoutMs), new Promise<void>(() => undefined)) }
    await new TracingBackends([stuck], 50).shutdown()
    expect(given).toHaveLength(1)
    expect(given[0]).toBeLessThanOrEqual(50)
  })

  it('leaves the options as they are when no backend traces the route', () => {
    const options = { threadId: 'a' }
    expect(new TracingBackends([backend('langfuse', 'routes')], 1000).attach(route, ['langsmith'], options)).toBe(options)
  })
})

describe('Route.trace()', () => {
  it('records the backends a route asks for, once each, and refuses an unknown one', () => {
    const router = new Router()
    const declared = router.agent('/support', SupportAgent).trace('langsmith').trace('langsmith', 'langfuse')
    expect(declared.definition.trace).toEqual(['langsmith', 'langfuse'])
    expect(() => router.agent('/other', SupportAgent).trace('datadog' as never)).toThrow(/trace\(\) takes langsmith or langfuse/)
  })
})

describe('tracingBackendsProvider', () => {
  const boot = (env: Record<string, string>) =>
    Application.create({ env: { APP_ENV: 'test', APP_NAME: 'backends-test', ...env }, loadDotenv: false, providers: [tracingBackendsProvider], logger: createLogger({ silent: true }) }).boot()

  // LangChain's switches as the shell that runs the tests set them, put back after each test.
  const switches = ['LANGSMITH_TRACING', 'LANGSMITH_TRACING_V2', 'LANGCHAIN_TRACING_V2', 'LANGCHAIN_TRACING'] as const
  const saved = Object.fromEntries(switches.map((key) => [key, process.env[key]]))
  beforeEach(() => {
    for (const key of switches) delete process.env[key]
  })
  afterEach(() => {
    for (const key of switches) if (saved[key] === undefined) delete process.env[key]
    else process.env[key] = saved[key]
    jest.restoreAllMocks()
  })

  it("warns at boot when LangChain's own tracer is on in the process environment and Langvel's LangSmith is not on for every route", async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn')
    process.env.LANGCHAIN_TRACING = 'true'
    const app = await boot({})
    expect(activeTracingBackends()).toBeUndefined()
    expect(warn.mock.calls.find(([message]) => message.includes('LANGCHAIN_TRACING=true in the process environment'))).toBeDefined()
    await app.shutdown()
  })

  it('does not warn about LangChain when no switch is on in the process environment', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn')
    const app = await boot({})
    expect(activeTracingBackends()).toBeUndefined()
    expect(warn.mock.calls.filter(([message]) => message.includes('LangChain'))).toEqual([])
    await app.shutdown()
  })
})
