import { Annotation, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph'
import { z } from 'zod'
import { GraphAgent } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { Route, Router } from '../../../framework/routing'

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
    expect(() => agent.validateInput({ messages: 'hi' })).toThrow(expect.objectContaining({ code: 'E_VALIDATION' }))
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
    const runner = new AgentRunner({ routes: router.routes() })
    const first = await runner.invoke('/t', { topic: 'a' }, { threadId: 'one' })
    expect(first.output).toMatchObject({ topic: 'a', count: 1 })
    const second = await runner.invoke('/t', { topic: 'b' }, { threadId: 'one' })
    expect(second.output).toMatchObject({ topic: 'b', count: 2 })
    expect((await runner.getState('/t', 'one')).values).toMatchObject({ count: 2 })
    expect((graph as unknown as { checkpointer?: unknown }).checkpointer).toBeUndefined()
  })
})
