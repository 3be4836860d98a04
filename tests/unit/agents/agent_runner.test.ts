import { z } from 'zod'
import { AgentPool, type RunnableAgent } from '../../../framework/agents/agent_pool'
import { AgentRunner, builtInRunMiddleware } from '../../../framework/agents/agent_runner'
import type { AgentMiddleware, AgentMiddlewareContext, AgentMiddlewareFactory } from '../../../framework/agents/middleware'
import { RunDeadline } from '../../../framework/agents/run_deadline'
import type { RunOptions, RunResult, StreamEvent, StreamOptions, ThreadState } from '../../../framework/contracts/agent_run'
import { E_UNAUTHORIZED, E_VALIDATION } from '../../../framework/errors'
import { createLogger } from '../../../framework/logger'
import { Router } from '../../../framework/routing'
import { defineTool } from '../../../framework/tools'

const logger = createLogger({ silent: true })

interface Call {
  method: string
  input?: unknown
  threadId?: string
  options?: RunOptions
}

/** An agent that echoes its input; `calls` records what reached it. */
class EchoAgent implements RunnableAgent {
  static compiles = 0
  static calls: Call[] = []
  description = 'Echoes its input'
  checkpointer?: string = 'memory'
  middleware: string[] = []
  timeoutSeconds?: number
  inputSchema = z.object({ text: z.string() })
  interrupts = ['approve']
  tools = [defineTool({ name: 'lookup', description: 'Looks up', schema: z.object({}), handler: () => 'x' })]

  compile() {
    EchoAgent.compiles++
  }
  validateInput(input: unknown) {
    const result = this.inputSchema.safeParse(input)
    if (!result.success) throw new E_VALIDATION('invalid input', { details: result.error.issues })
    return result.data
  }
  async invoke(input: unknown, options?: RunOptions): Promise<RunResult> {
    EchoAgent.calls.push({ method: 'invoke', input, options })
    return { output: { echo: input }, threadId: options?.threadId ?? 'none', interrupts: [] }
  }
  async *stream(input: unknown, options?: StreamOptions): AsyncGenerator<StreamEvent> {
    EchoAgent.calls.push({ method: 'stream', input, options })
    yield { event: 'updates', data: { step: 1 } }
    yield { event: 'updates', data: { step: 2, echo: input } }
  }
  async resume(threadId: string, value: unknown, options?: RunOptions): Promise<RunResult> {
    EchoAgent.calls.push({ method: 'resume', input: value, threadId, options })
    return { output: { resumed: value }, threadId, interrupts: [] }
  }
  async *resumeStream(threadId: string, value: unknown, options?: StreamOptions): AsyncGenerator<StreamEvent> {
    EchoAgent.calls.push({ method: 'resumeStream', input: value, threadId, options })
    yield { event: 'values', data: { resumed: value } }
  }
  async getState(threadId: string): Promise<ThreadState> {
    return { threadId, values: { text: 'saved' }, next: [], interrupts: [] }
  }
  async getHistory(threadId: string): Promise<ThreadState[]> {
    return [await this.getState(threadId)]
  }
  toMermaid() {
    return 'graph TD; __start__ --> echo'
  }
}

class ValidatingEchoAgent extends EchoAgent {
  override middleware = ['validate', 'trace:agent']
}

/** Never settles and ignores its signal: only the runner's deadline can stop it. */
class StuckAgent extends EchoAgent {
  static seenSignal?: AbortSignal
  override async invoke(_input: unknown, options?: RunOptions): Promise<RunResult> {
    StuckAgent.seenSignal = options?.signal
    return new Promise<RunResult>(() => undefined)
  }
  override async *stream(): AsyncGenerator<StreamEvent> {
    yield { event: 'updates', data: { step: 1 } }
    await new Promise(() => undefined)
  }
}

/** Records the order middleware ran in. */
function tracing(trail: string[]) {
  return ([label = '?']: string[]): AgentMiddleware => ({
    name: 'trace',
    async handle(ctx, next) {
      trail.push(`${label}:${ctx.mode}`)
      return next()
    },
  })
}

const authMiddleware = (): AgentMiddleware => ({
  name: 'auth',
  async handle(ctx, next) {
    if (!ctx.options.context?.principal) throw new E_UNAUTHORIZED()
    return next()
  },
})

/** The built-ins plus run-stage middleware of the test's own. */
function registryWith(extra: Record<string, AgentMiddlewareFactory>) {
  const registry = builtInRunMiddleware()
  for (const [name, create] of Object.entries(extra)) registry.register(name, { stage: 'run', create })
  return registry
}

function build(register: (router: Router) => void, trail: string[] = [], extra: { defaultTimeoutSeconds?: number; defaultDurability?: 'exit' | 'async' | 'sync' } = {}) {
  const router = new Router()
  register(router)
  const middleware = registryWith({ trace: tracing(trail), auth: authMiddleware })
  return new AgentRunner({ routes: router.routes(), middleware, logger, defaultCheckpointer: 'sqlite', ...extra })
}

async function collect(events: AsyncIterable<StreamEvent> | Promise<AsyncIterable<StreamEvent>>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = []
  for await (const event of await events) out.push(event)
  return out
}

const principal = { id: 'u1', type: 'user' as const, permissions: [] }
const context = { requestId: 'req-1', traceId: 'trace-1', principal }

beforeEach(() => {
  EchoAgent.calls = []
  EchoAgent.compiles = 0
})

describe('AgentRunner routes()', () => {
  it('describes each route from the route and its agent', () => {
    class PlainAgent extends EchoAgent {
      override checkpointer = undefined
      override timeoutSeconds = 45
    }
    const runner = build(
      (router) => {
        router.agent('/echo', ValidatingEchoAgent).middleware('trace:route', 'validate').name('echo').timeout(30).description('Route text')
        router.agent('/plain', PlainAgent)
      },
      [],
      { defaultTimeoutSeconds: 300 },
    )

    const [echo, plain] = runner.routes()
    expect(echo).toMatchObject({
      path: '/echo',
      name: 'echo',
      description: 'Route text',
      agent: 'ValidatingEchoAgent',
      middleware: ['trace:route', 'validate', 'trace:agent'],
      checkpointer: 'memory',
      timeoutSeconds: 30,
      interrupts: ['approve'],
      tools: ['lookup'],
    })
    expect(echo.inputSchema?.safeParse({ text: 'x' }).success).toBe(true)
    expect(plain).toMatchObject({ path: '/plain', description: 'Echoes its input', agent: 'PlainAgent', middleware: [], checkpointer: 'sqlite', timeoutSeconds: 45 })
    expect(runner.route('/plain')).toBe(plain)
  })

  it('fails at construction (boot) for an unknown route or agent middleware name', () => {
    expect(() => build((router) => router.agent('/echo', EchoAgent).middleware('auht'))).toThrow(
      expect.objectContaining({ code: 'E_UNKNOWN_MIDDLEWARE', message: expect.stringContaining('in route /echo'), details: { spec: 'auht', origin: 'route /echo' } }),
    )
    class TypoAgent extends EchoAgent {
      override middleware = ['loging']
    }
    expect(() => build((router) => router.agent('/typo', TypoAgent))).toThrow(
      expect.objectContaining({ code: 'E_UNKNOWN_MIDDLEWARE', details: { spec: 'loging', origin: 'agent TypoAgent (route /typo)' } }),
    )
  })

  it('checks request-stage names (HTTP auth, throttle) but never builds or runs them, and still lists them', async () => {
    const trail: string[] = []
    const router = new Router()
    router.agent('/echo', EchoAgent).middleware('throttle:5,1', 'trace:route')
    const middleware = registryWith({ trace: tracing(trail) }).register('throttle', {
      stage: 'request',
      create: () => {
        throw new Error('the runner must not build a request-stage middleware')
      },
    })
    const runner = new AgentRunner({ routes: router.routes(), middleware, logger })
    expect(runner.route('/echo').middleware).toEqual(['throttle:5,1', 'trace:route'])
    await runner.invoke('/echo', { text: 'hi' })
    expect(trail).toEqual(['route:invoke'])
  })

  it('does not compile any graph at construction', () => {
    build((router) => router.agent('/echo', EchoAgent))
    expect(EchoAgent.compiles).toBe(0)
  })
})

describe('AgentRunner runs', () => {
  it('throws E_AGENT_NOT_FOUND for an unknown path, whatever the operation', async () => {
    const runner = build((router) => router.agent('/echo', EchoAgent))

    expect(() => runner.route('/nope')).toThrow(expect.objectContaining({ code: 'E_AGENT_NOT_FOUND' }))
    await expect(runner.invoke('/nope', {})).rejects.toMatchObject({ code: 'E_AGENT_NOT_FOUND' })
    expect(() => runner.stream('/nope', {})).toThrow(expect.objectContaining({ code: 'E_AGENT_NOT_FOUND' }))
    expect(() => runner.resumeStream('/nope', 't', true)).toThrow(expect.objectContaining({ code: 'E_AGENT_NOT_FOUND' }))
    await expect(runner.getState('/nope', 't')).rejects.toMatchObject({ code: 'E_AGENT_NOT_FOUND' })
  })

  it('runs route middleware, then agent middleware, then the agent with the validated input', async () => {
    const trail: string[] = []
    const runner = build((router) => router.agent('/echo', ValidatingEchoAgent).middleware('trace:route'), trail)

    const result = await runner.invoke('/echo', { text: 'hi', extra: 'dropped by the schema' }, { context, threadId: 'thread-1' })

    expect(trail).toEqual(['route:invoke', 'agent:invoke'])
    expect(result).toEqual({ output: { echo: { text: 'hi' } }, threadId: 'thread-1', interrupts: [] })
    expect(EchoAgent.calls[0].options).toMatchObject({ threadId: 'thread-1', context })
    expect(EchoAgent.calls[0].options?.signal).toBeInstanceOf(AbortSignal)
  })

  it('generates a thread id when none is given', async () => {
    const runner = build((router) => router.agent('/echo', EchoAgent))

    const { threadId } = await runner.invoke('/echo', { text: 'x' })

    expect(threadId).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('stops at a middleware that refuses the run: the agent is neither called nor compiled', async () => {
    const runner = build((router) => router.agent('/private', EchoAgent).middleware('auth'))

    await expect(runner.invoke('/private', { text: 'x' })).rejects.toMatchObject({ code: 'E_UNAUTHORIZED' })
    expect(EchoAgent.calls).toEqual([])
    expect(EchoAgent.compiles).toBe(0)
    await expect(runner.invoke('/private', { text: 'x' }, { context })).resolves.toMatchObject({ output: { echo: { text: 'x' } } })
  })

  it('rejects invalid input through the validate middleware before the agent runs', async () => {
    const runner = build((router) => router.agent('/echo', ValidatingEchoAgent))

    await expect(runner.invoke('/echo', { text: 42 })).rejects.toMatchObject({ code: 'E_VALIDATION' })
    expect(EchoAgent.calls).toEqual([])
  })

  it('streams the agent events through the middleware', async () => {
    const trail: string[] = []
    const runner = build((router) => router.agent('/echo', ValidatingEchoAgent), trail)

    const events = await collect(runner.stream('/echo', { text: 'hi' }, { modes: ['updates'] }))

    expect(events).toEqual([
      { event: 'updates', data: { step: 1 } },
      { event: 'updates', data: { step: 2, echo: { text: 'hi' } } },
    ])
    expect(trail).toEqual(['agent:stream'])
    expect(EchoAgent.calls[0].options).toMatchObject({ modes: ['updates'] })
  })

  it('refuses a stream before it starts when a middleware says no or the input is invalid', async () => {
    const runner = build((router) => {
      router.agent('/private', EchoAgent).middleware('auth')
      router.agent('/echo', ValidatingEchoAgent)
    })

    await expect(runner.stream('/private', { text: 'x' })).rejects.toMatchObject({ code: 'E_UNAUTHORIZED' })
    await expect(runner.stream('/echo', { text: 42 })).rejects.toMatchObject({ code: 'E_VALIDATION' })
    expect(EchoAgent.calls).toEqual([])
  })

  it('resumes a thread with the value in resume mode, skipping input validation', async () => {
    const trail: string[] = []
    const runner = build((router) => router.agent('/echo', ValidatingEchoAgent), trail)

    const result = await runner.resume('/echo', 'thread-9', { approved: true }, { context })
    const streamed = await collect(runner.resumeStream('/echo', 'thread-9', 'yes'))

    expect(result).toEqual({ output: { resumed: { approved: true } }, threadId: 'thread-9', interrupts: [] })
    expect(streamed).toEqual([{ event: 'values', data: { resumed: 'yes' } }])
    expect(EchoAgent.calls.map((c) => [c.method, c.threadId])).toEqual([
      ['resume', 'thread-9'],
      ['resumeStream', 'thread-9'],
    ])
    expect(trail).toEqual(['agent:resume', 'agent:resume'])
  })

  it('reads state, history and the graph from the pooled agent, compiling it once', async () => {
    const runner = build((router) => router.agent('/echo', EchoAgent))

    await expect(runner.getState('/echo', 't1')).resolves.toMatchObject({ threadId: 't1', values: { text: 'saved' } })
    await expect(runner.getHistory('/echo', 't1')).resolves.toHaveLength(1)
    await expect(runner.graph('/echo')).resolves.toContain('graph TD')
    await Promise.all(Array.from({ length: 20 }, () => runner.invoke('/echo', { text: 'x' })))

    expect(EchoAgent.compiles).toBe(1)
  })

  it('shares the pool it was given and warms every route', async () => {
    const pool = new AgentPool()
    const router = new Router()
    router.agent('/a', EchoAgent)
    router.agent('/b', EchoAgent)
    const runner = new AgentRunner({ routes: router.routes(), pool, logger })

    await runner.warm()

    expect(runner.pool).toBe(pool)
    expect(EchoAgent.compiles).toBe(2)
  })

  it('lets middleware read the run context it documents', async () => {
    const seen: Array<Partial<AgentMiddlewareContext>> = []
    const router = new Router()
    router.agent('/echo', EchoAgent).name('echo')
    const middleware = registryWith({
      spy: () => ({
        name: 'spy',
        async handle(ctx, next) {
          seen.push({ agent: ctx.agent, path: ctx.path, mode: ctx.mode, streaming: ctx.streaming, input: ctx.input })
          expect(ctx.route.name).toBe('echo')
          expect(ctx.instance).toBeInstanceOf(EchoAgent)
          expect(typeof ctx.logger.info).toBe('function')
          return next()
        },
      }),
    })
    router.get('/echo').middleware('spy')
    const runner = new AgentRunner({ routes: router.routes(), middleware, logger })

    await runner.invoke('/echo', { text: 'a' })

    expect(seen).toEqual([{ agent: 'EchoAgent', path: '/echo', mode: 'invoke', streaming: false, input: { text: 'a' } }])
  })
})

describe('AgentRunner deadlines and cancellation', () => {
  it('rejects with E_TIMEOUT after the route timeout, even if the agent ignores its signal, and aborts that signal', async () => {
    const runner = build((router) => router.agent('/stuck', StuckAgent).timeout(0.05))

    await expect(runner.invoke('/stuck', {})).rejects.toMatchObject({ code: 'E_TIMEOUT' })
    expect(StuckAgent.seenSignal?.aborted).toBe(true)
  })

  it('uses the default timeout when neither route nor agent sets one', async () => {
    const runner = build((router) => router.agent('/stuck', StuckAgent), [], { defaultTimeoutSeconds: 0.05 })

    await expect(runner.invoke('/stuck', {})).rejects.toMatchObject({ code: 'E_TIMEOUT' })
  })

  it('rejects with E_ABORTED when the caller cancels', async () => {
    const runner = build((router) => router.agent('/stuck', StuckAgent))
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 10)

    await expect(runner.invoke('/stuck', {}, { signal: controller.signal })).rejects.toMatchObject({ code: 'E_ABORTED' })
    await expect(runner.invoke('/stuck', {}, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' })
  })

  it("runs under the caller's deadline when given one: its signal, no timer of the runner's, stopped at once by the caller", async () => {
    const runner = build((router) => router.agent('/stuck', StuckAgent).timeout(0.01))
    const deadline = new RunDeadline()
    const run = runner.invoke('/stuck', {}, { deadline })
    await new Promise((resolve) => setImmediate(resolve))
    // The very signal the caller owns: a deadline of the runner's would hand the agent a signal of its own.
    expect(StuckAgent.seenSignal).toBe(deadline.signal)
    deadline.stop(new Error('client left'))
    await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' })
    deadline.dispose()
  })

  it('runs no middleware (and not the agent) for a run stopped before it starts', async () => {
    const trail: string[] = []
    const runner = build((router) => router.agent('/echo', ValidatingEchoAgent).middleware('trace:route'), trail)
    const deadline = new RunDeadline()
    deadline.stop(new Error('gone'))

    await expect(runner.invoke('/echo', { text: 'x' }, { deadline })).rejects.toMatchObject({ code: 'E_ABORTED' })
    await expect(runner.stream('/echo', { text: 'x' }, { deadline })).rejects.toMatchObject({ code: 'E_ABORTED' })
    await expect(runner.invoke('/echo', { text: 'x' }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' })
    expect(trail).toEqual([])
    expect(EchoAgent.calls).toEqual([])
  })

  it('resolves durability route first, then the agent, then the default, and hands it to the agent', async () => {
    class ExitAgent extends EchoAgent {
      durability = 'exit' as const
    }
    const runner = build(
      (router) => {
        router.agent('/route', ExitAgent).durability('sync')
        router.agent('/agent', ExitAgent)
        router.agent('/default', EchoAgent)
      },
      [],
      { defaultDurability: 'async' },
    )
    expect(runner.routes().map((route) => route.durability)).toEqual(['sync', 'exit', 'async'])
    await runner.invoke('/route', { text: 'x' })
    await runner.invoke('/default', { text: 'x' }, { durability: 'exit' })
    expect(EchoAgent.calls.map((call) => call.options?.durability)).toEqual(['sync', 'exit'])
  })

  it('ends a stream that outlives its timeout with E_TIMEOUT after the events already sent', async () => {
    const runner = build((router) => router.agent('/stuck', StuckAgent).timeout(0.05))
    const received: StreamEvent[] = []

    const run = (async () => {
      for await (const event of await runner.stream('/stuck', {})) received.push(event)
    })()

    await expect(run).rejects.toMatchObject({ code: 'E_TIMEOUT' })
    expect(received).toEqual([{ event: 'updates', data: { step: 1 } }])
  })
})

describe('AgentRunner with real agents (the Agent base class, in-memory checkpoints)', () => {
  // Loaded here so the fake-agent tests above do not pay for LangGraph.
  const { EchoAgent: AppEchoAgent } = require('../../../app/agents/echo_agent') as typeof import('../../../app/agents/echo_agent')
  const { ApprovalAgent } = require('../../../app/agents/approval_agent') as typeof import('../../../app/agents/approval_agent')
  const { MemorySaver } = require('@langchain/langgraph-checkpoint') as typeof import('@langchain/langgraph-checkpoint')

  function realRunner() {
    const router = new Router()
    router.agent('/echo', AppEchoAgent).middleware('validate', 'logging')
    router.agent('/approval', ApprovalAgent).name('approval')
    const saver = new MemorySaver()
    return new AgentRunner({ routes: router.routes(), logger, resolveCheckpointer: () => saver })
  }

  it('describes a real agent: its input schema, interrupts and description', () => {
    const info = realRunner().route('/approval')

    expect(info).toMatchObject({ agent: 'ApprovalAgent', name: 'approval', interrupts: ['approval'], description: 'Asks a human to approve a request before acting on it' })
    expect(info.inputSchema?.safeParse({ request: 'x' }).success).toBe(true)
  })

  it('invokes and streams a real graph, and rejects invalid input with E_VALIDATION', async () => {
    const runner = realRunner()

    await expect(runner.invoke('/echo', { query: 'hi' })).resolves.toMatchObject({ output: { response: 'Processed: hi' }, interrupts: [] })
    const events = await collect(runner.stream('/echo', { query: 'yo' }, { modes: ['values'] }))
    expect(events.at(-1)).toMatchObject({ event: 'values', data: { response: 'Processed: yo' } })
    await expect(runner.invoke('/echo', { query: '' })).rejects.toMatchObject({ code: 'E_VALIDATION' })
  })

  it('stops at an interrupt, resumes the thread, and reads its state and graph', async () => {
    const runner = realRunner()

    const first = await runner.invoke('/approval', { request: 'Refund order A-1' }, { context })
    expect(first.interrupts).toEqual([expect.objectContaining({ node: 'approval' })])
    await expect(runner.getState('/approval', first.threadId)).resolves.toMatchObject({ next: ['approval'] })

    const done = await runner.resume('/approval', first.threadId, { approved: true }, { context })
    expect(done.output).toMatchObject({ status: 'approved' })
    await expect(runner.getHistory('/approval', first.threadId)).resolves.not.toHaveLength(0)
    await expect(runner.graph('/approval')).resolves.toContain('approval')
  })

  it("checkpoints every step by default and only the run's end with durability 'exit'", async () => {
    const router = new Router()
    router.agent('/echo', AppEchoAgent)
    router.agent('/echo-exit', AppEchoAgent).durability('exit')
    const saver = new MemorySaver()
    const runner = new AgentRunner({ routes: router.routes(), logger, resolveCheckpointer: () => saver })

    const stepwise = await runner.invoke('/echo', { query: 'a' })
    const atExit = await runner.invoke('/echo-exit', { query: 'a' })

    const stepwiseHistory = await runner.getHistory('/echo', stepwise.threadId)
    const exitHistory = await runner.getHistory('/echo-exit', atExit.threadId)
    expect(stepwiseHistory.length).toBeGreaterThan(2)
    expect(exitHistory).toHaveLength(1)
    expect(exitHistory[0].values).toMatchObject({ response: 'Processed: a' })
  })
})
