import { Annotation, END, MemorySaver, MessagesAnnotation, MessagesValue, ReducedValue, START, StateGraph, StateSchema } from '@langchain/langgraph'
import { z } from 'zod'
import { z as z3 } from 'zod/v3'
import { FakeListChatModel } from '@langchain/core/utils/testing'
import { createReactAgent } from '@langchain/langgraph/prebuilt'
import { Agent, defineState, GraphAgent, graphAgent, reducers, type GraphBuilder } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { translateRunError } from '../../../framework/agents/run_support'
import type { Exception } from '../../../framework/errors'
import { Route, Router } from '../../../framework/routing'

async function rejection(promise: Promise<unknown>): Promise<Exception> {
  try {
    await promise
  } catch (error) {
    return error as Exception
  }
  throw new Error('expected a rejection')
}

function runnerFor(path: string, source: Parameters<Router['graph']>[1], options: Parameters<Router['graph']>[2] = {}): AgentRunner {
  const router = new Router()
  router.graph(path, source, options)
  return new AgentRunner({ routes: router.routes() })
}

const Topic = Annotation.Root({ ...MessagesAnnotation.spec, topic: Annotation<string>, count: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }) })
const graph = new StateGraph(Topic)
  .addNode('tally', () => ({ count: 1 }))
  .addEdge(START, 'tally')
  .compile()

describe('Route.graph', () => {
  it('registers a graph route, fluent like an agent route, inside groups', () => {
    const router = new Router()
    Route.capture(router, () => {
      Route.group({ prefix: '/labs', middleware: ['auth'], as: 'labs.' }, () => {
        Route.graph('/topic-bot', graph, { description: 'Counts topics' }).middleware('logging').name('topic').timeout(30)
      })
    })
    const definition = router.get('/labs/topic-bot').definition
    expect(definition).toMatchObject({ path: '/labs/topic-bot', middleware: ['auth', 'logging'], name: 'labs.topic', timeoutSeconds: 30 })
    expect(definition.agent.name).toBe('LabsTopicBotGraph')
    const agent = new definition.agent()
    expect(agent).toBeInstanceOf(GraphAgent)
    expect(agent.description).toBe('Counts topics')
  })

  it('mirrors the graph state for validation: messages take message-likes, other keys any value', () => {
    const Served = new Router().graph('/t', graph).definition.agent
    const agent = new Served() as GraphAgent
    expect(agent.state.keys).toEqual(['messages', 'topic', 'count'])
    expect(agent.validateInput({ topic: 'otters', messages: [{ role: 'user', content: 'hi' }], extra: 1 })).toEqual({ topic: 'otters', messages: [{ role: 'user', content: 'hi' }] })
    expect(() => agent.validateInput({ messages: 5 })).toThrow(expect.objectContaining({ code: 'E_VALIDATION' }))
  })

  it('keeps zod field types of a zod-declared state, every key optional in input', () => {
    const zodGraph = new StateGraph(z.object({ name: z.string(), age: z.number() })).addNode('n', () => ({})).addEdge(START, 'n').compile()
    const agent = new (new Router().graph('/z', zodGraph).definition.agent)() as GraphAgent
    expect(agent.validateInput({ name: 'Ada' })).toEqual({ name: 'Ada' })
    expect(() => agent.validateInput({ age: 'old' })).toThrow(expect.objectContaining({ code: 'E_VALIDATION', details: [expect.objectContaining({ path: 'age' })] }))
  })

  it('refuses a duplicate path like any route', () => {
    const router = new Router()
    router.agent('/x', new Router().graph('/y', graph).definition.agent)
    expect(() => router.graph('/x', graph)).toThrow(expect.objectContaining({ code: 'E_DUPLICATE_ROUTE' }))
  })

  it('names an unknown checkpointer driver at boot with E_UNKNOWN_DRIVER', () => {
    const router = new Router()
    router.graph('/t', graph, { checkpointer: 'mongo' })
    expect(() => new AgentRunner({ routes: router.routes(), checkpointerDrivers: () => ['memory', 'sqlite'] })).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_DRIVER' }))
  })

  it('runs with the checkpointer the pool gives it, keeping the graph untouched', async () => {
    const router = new Router()
    router.graph('/t', graph)
    const saver = new MemorySaver()
    const runner = new AgentRunner({ routes: router.routes(), resolveCheckpointer: () => saver })
    const first = await runner.invoke('/t', { topic: 'a' }, { threadId: 'one' })
    expect(first.output).toMatchObject({ topic: 'a', count: 1 })
    const second = await runner.invoke('/t', { topic: 'b' }, { threadId: 'one' })
    expect(second.output).toMatchObject({ topic: 'b', count: 2 })
    expect((await runner.getState('/t', 'one')).values).toMatchObject({ count: 2 })
    expect((graph as unknown as { checkpointer?: unknown }).checkpointer).toBeUndefined()
    // The thread lives in the saver the pool handed over, under the route's namespace.
    const saved = await saver.getTuple({ configurable: { thread_id: '/t:one' } })
    expect(saved?.checkpoint.channel_values).toMatchObject({ topic: 'b', count: 2 })
  })
})

/** The zod 3 state below, as LangGraph's (zod 4 following) types can describe it. */
const _LegacyState = Annotation.Root({ name: Annotation<string>, greeting: Annotation<string> })
const Chat = new StateGraph(MessagesAnnotation).addNode('echo', (state) => ({ messages: [{ role: 'assistant', content: `heard ${state.messages.length}` }] })).addEdge(START, 'echo').compile()

describe('Route.graph input as LangGraph itself takes it', () => {
  it.each([
    ['an object that is no message', { messages: [{ foo: 1 }] }],
    ['an unknown role', { messages: [{ role: 'wizard', content: 'x' }] }],
  ])('refuses messages LangChain cannot read (%s) with E_VALIDATION naming the message', async (_what, input) => {
    const error = await rejection(runnerFor('/c', Chat).invoke('/c', input))
    expect(error).toMatchObject({ code: 'E_VALIDATION', status: 422, details: [expect.objectContaining({ path: 'messages.0' })] })
  })

  it('refuses such messages on a Langvel messages state too', () => {
    const state = defineState({ messages: reducers.messages() })
    expect(() => state.validateInput({ messages: [{ role: 'wizard', content: 'x' }] })).toThrow(expect.objectContaining({ code: 'E_VALIDATION', details: [expect.objectContaining({ path: 'messages.0' })] }))
  })

  it('maps a message coercion failure that reaches LangGraph to E_VALIDATION', () => {
    const failure = Object.assign(new Error('Unable to coerce message from array: only human, AI... \n\nReceived: {}'), { lc_error_code: 'MESSAGE_COERCION_FAILURE' })
    expect(translateRunError(failure, undefined, 'Agent', 10)).toMatchObject({ code: 'E_VALIDATION', status: 422 })
  })

  it.each([
    ['a bare string', 'hello'],
    ['one message object', { role: 'user', content: 'hello' }],
  ])('accepts %s as messages, as the messages reducer does', async (_what, messages) => {
    const { output } = await runnerFor('/c', Chat).invoke('/c', { messages })
    expect((output as { messages: Array<{ content: unknown }> }).messages.map((m) => m.content)).toEqual(['hello', 'heard 1'])
    const state = defineState({ messages: reducers.messages() })
    expect(state.validateInput({ messages })).toEqual({ messages: [messages] })
  })

  it('checks a StateSchema graph\'s fields before the run, naming the field', async () => {
    const State = new StateSchema({
      messages: MessagesValue,
      name: z.string(),
      total: new ReducedValue(z.number().default(0), { inputSchema: z.number(), reducer: (a: number, b: number) => a + b }),
    })
    const greet = new StateGraph(State).addNode('greet', (state) => ({ messages: [{ role: 'assistant', content: `hi ${state.name}` }], total: 1 })).addEdge(START, 'greet').compile()
    const runner = runnerFor('/s', greet)
    expect(await rejection(runner.invoke('/s', { name: 5 }))).toMatchObject({ code: 'E_VALIDATION', details: [expect.objectContaining({ path: 'name' })] })
    expect(await rejection(runner.invoke('/s', { total: 'many' }))).toMatchObject({ code: 'E_VALIDATION', details: [expect.objectContaining({ path: 'total' })] })
    expect((await runner.invoke('/s', { name: 'Ada', total: 2 })).output).toMatchObject({ name: 'Ada', total: 3 })
  })

  it('checks a zod 3 state\'s fields before the run, naming the field', async () => {
    // LangGraph's types follow zod 4; a zod 3 object is accepted at run time.
    const builder = new StateGraph(z3.object({ name: z3.string(), greeting: z3.string().optional() }) as never) as unknown as StateGraph<typeof _LegacyState>
    const legacy = builder.addNode('greet', (state) => ({ greeting: `hi ${state.name}` })).addEdge(START, 'greet').compile()
    const runner = runnerFor('/v3', legacy as never)
    expect(await rejection(runner.invoke('/v3', { name: 5 }))).toMatchObject({ code: 'E_VALIDATION', details: [expect.objectContaining({ path: 'name' })] })
    expect((await runner.invoke('/v3', { name: 'Ada' })).output).toMatchObject({ greeting: 'hi Ada' })
  })

  it('hands LangGraph the caller\'s values, so the graph\'s zod transforms apply as when it runs alone (runs and state patches)', async () => {
    const Shout = z.object({ name: z.string().transform((text) => `${text}!`), out: z.string().optional() })
    const shout = new StateGraph(Shout).addNode('echo', (state) => ({ out: state.name })).addEdge(START, 'echo').compile()
    const alone = shout.builder.compile({ checkpointer: new MemorySaver() })
    const config = { configurable: { thread_id: 'alone' } }
    const expected = await alone.invoke({ name: 'hi' }, config)
    await alone.updateState(config, { name: 'yo' })
    const expectedPatch = (await alone.getState(config)).values

    const runner = runnerFor('/shout', shout)
    const { output, threadId } = await runner.invoke('/shout', { name: 'hi' })
    expect(output).toEqual(expected)
    const agent = (await runner.compiledAgent('/shout')) as unknown as GraphAgent
    expect((await agent.updateState(threadId, { name: 'yo' } as never)).values).toEqual(expectedPatch)
  })
})

describe('Route.graph run settings', () => {
  const Counter = Annotation.Root({ count: Annotation<number> })
  const looping = () =>
    new StateGraph(Counter)
      .addNode('tick', (state) => ({ count: (state.count ?? 0) + 1 }))
      .addEdge(START, 'tick')
      .addConditionalEdges('tick', (state) => (state.count >= 20 ? END : 'tick'))
      .compile()

  it('honours the graph\'s own withConfig recursionLimit unless the route sets one', async () => {
    const limited = looping().withConfig({ recursionLimit: 5 })
    expect(await rejection(runnerFor('/loop', limited as never).invoke('/loop', {}))).toMatchObject({ code: 'E_STEP_LIMIT' })
    expect((await runnerFor('/loop', limited as never, { recursionLimit: 50 }).invoke('/loop', {})).output).toEqual({ count: 20 })
  })

  it('lists an async factory graph\'s withConfig durability once it resolved', async () => {
    const router = new Router()
    router.graph('/later', async () => looping().withConfig({ durability: 'sync' }) as never)
    const runner = new AgentRunner({ routes: router.routes(), defaultDurability: 'async' })
    expect(runner.route('/later').durability).toBe('async')
    await runner.warm()
    expect(runner.route('/later').durability).toBe('sync')
  })

  it('honours the graph\'s own withConfig durability', () => {
    const router = new Router()
    router.graph('/loop', looping().withConfig({ durability: 'exit' }) as never)
    expect(new AgentRunner({ routes: router.routes() }).route('/loop').durability).toBe('exit')
  })

  it('keeps the retry policy, step timeout and debug set on the compiled graph', async () => {
    let calls = 0
    const flaky = new StateGraph(Counter)
      .addNode('flaky', () => {
        calls += 1
        if (calls < 3) throw new Error('not yet')
        return { count: calls }
      })
      .addEdge(START, 'flaky')
      .compile()
    Object.assign(flaky, { retryPolicy: { maxAttempts: 3, initialInterval: 1, jitter: false, retryOn: () => true }, stepTimeout: 60_000 })
    const runner = runnerFor('/flaky', flaky)
    expect((await runner.invoke('/flaky', {})).output).toEqual({ count: 3 })
    expect(((await runner.compiledAgent('/flaky')) as unknown as GraphAgent).compiledGraph).toMatchObject({ stepTimeout: 60_000 })
  })
})

describe('Route.graph context schemas', () => {
  const Question = z.object({ q: z.string(), answer: z.string().optional() })

  it('refuses at declaration a context schema with required fields no request provides', () => {
    const graph = new StateGraph(Question, z.object({ userId: z.string() })).addNode('n', () => ({})).addEdge(START, 'n').compile()
    expect(() => new Router().graph('/ctx', graph)).toThrow(expect.objectContaining({ code: 'E_GRAPH_INVALID', message: expect.stringContaining('userId') }))
  })

  it('refuses a createReactAgent whose contextSchema requires a field no request provides', () => {
    const react = createReactAgent({ llm: new FakeListChatModel({ responses: ['ok'] }) as never, tools: [], contextSchema: z.object({ userId: z.string() }) } as never)
    expect(() => new Router().graph('/react', react as never)).toThrow(expect.objectContaining({ code: 'E_GRAPH_INVALID', message: expect.stringContaining('userId') }))
  })

  it('runs a graph whose context schema the request context satisfies, giving it that context', async () => {
    const graph = new StateGraph(Question, z.object({ requestId: z.string(), tone: z.string().optional() }))
      .addNode('n', (state, runtime) => ({ answer: `${state.q} for ${(runtime.context as { requestId: string }).requestId}` }))
      .addEdge(START, 'n')
      .compile()
    const { output } = await runnerFor('/ctx', graph).invoke('/ctx', { q: 'why' }, { context: { requestId: 'req-1', traceId: 't' } })
    expect(output).toEqual({ q: 'why', answer: 'why for req-1' })
  })
})

describe('Route.graph declaration checks', () => {
  const Plain = Annotation.Root({ a: Annotation<string> })

  it('serves a graph compiled with checkpointer: null', async () => {
    const graph = new StateGraph(Plain).addNode('n', () => ({ a: 'done' })).addEdge(START, 'n').compile({ checkpointer: null as never })
    expect((await runnerFor('/n', graph).invoke('/n', {})).output).toEqual({ a: 'done' })
  })

  it('refuses a graph whose subgraph was compiled with a checkpointer of its own, naming the node', () => {
    const child = new StateGraph(Plain).addNode('c', () => ({ a: 'child' })).addEdge(START, 'c').compile({ checkpointer: new MemorySaver() })
    const parent = new StateGraph(Plain).addNode('child', child).addEdge(START, 'child').compile()
    expect(() => new Router().graph('/p', parent)).toThrow(expect.objectContaining({ code: 'E_GRAPH_INVALID', message: expect.stringContaining('subgraph at child') }))
  })
})

describe('graphAgent() as a subgraph of a Langvel agent', () => {
  const Shared = defineState({ a: z.string().optional() })
  const Plain = Annotation.Root({ a: Annotation<string> })
  const parentOf = (child: ReturnType<typeof graphAgent>) =>
    class Parent extends Agent<typeof Shared> {
      state = Shared
      build(graph: GraphBuilder<typeof Shared>) {
        return graph.subgraph(child as never)
      }
    }

  it('calls a factory once for every instance of the class', async () => {
    const factory = jest.fn(() => new StateGraph(Plain).addNode('n', () => ({ a: 'from child' })).addEdge(START, 'n').compile())
    const Child = graphAgent(factory, { className: 'ChildGraph' })
    const parent = await new (parentOf(Child))().compile()
    expect((await parent.invoke({})).output).toEqual({ a: 'from child' })
    new Child()
    expect(factory).toHaveBeenCalledTimes(1)
  })

  it('refuses an async factory that has not resolved with E_GRAPH_INVALID', async () => {
    const Child = graphAgent(async () => new StateGraph(Plain).addNode('n', () => ({ a: 'x' })).addEdge(START, 'n').compile(), { className: 'LateGraph' })
    const Parent = parentOf(Child)
    expect(() => new Parent().stepBudget).not.toThrow()
    await expect(new Parent().compile()).rejects.toMatchObject({ code: 'E_GRAPH_INVALID', message: expect.stringContaining('async factory') })
  })
})

describe('Route.graph with an async factory', () => {
  it('lists the graph\'s input schema once the factory has resolved', async () => {
    const router = new Router()
    router.graph('/later', async () => new StateGraph(z.object({ name: z.string() })).addNode('n', () => ({})).addEdge(START, 'n').compile())
    const runner = new AgentRunner({ routes: router.routes() })
    expect(Object.keys((runner.route('/later').inputSchema as z.ZodObject).shape)).toEqual([])
    await runner.warm()
    expect(Object.keys((runner.route('/later').inputSchema as z.ZodObject).shape)).toEqual(['name'])
    expect(Object.keys((runner.routes()[0].inputSchema as z.ZodObject).shape)).toEqual(['name'])
  })
})
