import { FakeListChatModel } from '@langchain/core/utils/testing'
import { MemorySaver } from '@langchain/langgraph'
import { z } from 'zod'
import { Agent, defineState, reducers, type GraphBuilder, type NodeContext, type StateOf } from '../../../framework/agents'
import type { StreamEvent } from '../../../framework/contracts/agent_run'
import { E_TIMEOUT, type Exception } from '../../../framework/errors'

const S = defineState({ query: z.string().min(1), trail: reducers.append(z.string()), response: z.string().optional() })
type St = StateOf<typeof S>

function plainFunction(this: BindingAgent, state: St) {
  return { trail: [`plain:${this.tag}:${state.query}`] }
}

class BindingAgent extends Agent<typeof S> {
  state = S
  tag = 'agent'
  build(graph: GraphBuilder<typeof S>) {
    return graph
      .then(this.method)
      .then(this.arrow)
      .then(plainFunction)
      .then((state) => ({ trail: [`lambda:${this.tag}`], response: `${state.trail.length}` }))
  }
  method(state: St) {
    return { trail: [`method:${this.tag}:${state.query}`] }
  }
  arrow = () => ({ trail: [`arrow:${this.tag}`] })
}

async function events(iterable: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = []
  for await (const event of iterable) out.push(event)
  return out
}

async function rejection(promise: Promise<unknown>): Promise<Exception> {
  try {
    await promise
  } catch (error) {
    return error as Exception
  }
  throw new Error('expected a rejection')
}

describe('Agent', () => {
  it('runs method references, arrow properties, plain functions and lambdas with `this` = the agent', async () => {
    const { output, threadId, interrupts } = await new BindingAgent().invoke({ query: 'q' })
    expect(output.trail).toEqual(['method:agent:q', 'arrow:agent', 'plain:agent:q', 'lambda:agent'])
    expect(output.response).toBe('3')
    expect(threadId).toMatch(/^[0-9a-f-]{36}$/)
    expect(interrupts).toEqual([])
  })

  it('validates input before running: E_VALIDATION lists the bad fields and no thread is created', async () => {
    const agent = new BindingAgent()
    const error = await rejection(agent.invoke({ query: '' }, { threadId: 'never' }))
    expect(error.code).toBe('E_VALIDATION')
    expect(error.details).toEqual([{ path: 'query', message: expect.any(String) }])
    expect((await rejection(agent.getState('never'))).code).toBe('E_THREAD_NOT_FOUND')
    expect(() => agent.stream({ query: 42 } as never)).toThrow(expect.objectContaining({ code: 'E_VALIDATION' }))
  })

  it('gives nodes a frozen request context, the thread id, the signal and a custom-event writer', async () => {
    const seen: NodeContext[] = []
    class ContextAgent extends Agent<typeof S> {
      state = S
      build(graph: GraphBuilder<typeof S>) {
        return graph.then((_state, ctx) => {
          seen.push(ctx)
          ctx.writer({ progress: 'half' })
          return { response: ctx.context.principal?.id }
        })
      }
    }
    const context = { requestId: 'req-1', traceId: 'trace-1', principal: { id: 'u1', type: 'user' as const, permissions: ['read'] } }
    const list = await events(new ContextAgent().stream({ query: 'q', __langvel_loops: {} } as never, { threadId: 't-ctx', context, modes: ['custom', 'values'] }))
    const ctx = seen[0]
    expect(ctx.threadId).toBe('t-ctx')
    expect(ctx.context.requestId).toBe('req-1')
    expect(Object.isFrozen(ctx.context)).toBe(true)
    expect(Object.isFrozen(ctx.context.principal?.permissions)).toBe(true)
    expect(() => {
      ;(ctx.context as { requestId: string }).requestId = 'forged'
    }).toThrow(TypeError)
    expect(ctx.signal).toBeInstanceOf(AbortSignal)
    expect(list).toContainEqual({ event: 'custom', data: { progress: 'half' } })
    expect(list.at(-1)).toEqual({ event: 'values', data: { query: 'q', trail: [], response: 'u1' } })
  })

  it('supplies a system context when the caller passes none, never one taken from input', async () => {
    let principal: unknown
    class Probe extends Agent<typeof S> {
      state = S
      build(graph: GraphBuilder<typeof S>) {
        return graph.then((_s, ctx) => {
          principal = ctx.context.principal
          return {}
        })
      }
    }
    await new Probe().invoke({ query: 'q', context: { principal: { id: 'admin' } } } as never)
    expect(principal).toEqual({ id: 'system', type: 'system', permissions: [] })
  })

  it('keeps threads apart when one compiled agent serves many of them at once', async () => {
    class Slow extends Agent<typeof S> {
      state = S
      build(graph: GraphBuilder<typeof S>) {
        return graph.then(this.first).then(this.second)
      }
      async first(state: St) {
        await new Promise((resolve) => setTimeout(resolve, Number(state.query.slice(1)) % 7))
        return { trail: [state.query] }
      }
      second(state: St) {
        return { response: state.trail.join(',') }
      }
    }
    const agent = await new Slow().compile()
    const queries = Array.from({ length: 12 }, (_, i) => `q${i}`)
    const results = await Promise.all(queries.map((query) => agent.invoke({ query }, { threadId: `iso-${query}` })))
    results.forEach((result, i) => expect(result.output).toEqual({ query: queries[i], trail: [queries[i]], response: queries[i] }))
    // Second turn on each thread: only that thread's history, appended to.
    const again = await Promise.all(queries.map((query) => agent.invoke({ query: `${query}b` }, { threadId: `iso-${query}` })))
    again.forEach((result, i) => expect(result.output.trail).toEqual([queries[i], `${queries[i]}b`]))
  })

  it('keeps each agent\'s threads to itself on a shared checkpointer: the same thread id on another agent is another thread', async () => {
    const saver = new MemorySaver()
    class Asking extends Agent<typeof S> {
      state = S
      build(graph: GraphBuilder<typeof S>) {
        return graph.interrupt({ name: 'ask', payload: 'approve?' }).then(() => ({ response: 'approved' }))
      }
    }
    class Echo extends Agent<typeof S> {
      state = S
      build(graph: GraphBuilder<typeof S>) {
        return graph.then((state) => ({ response: `echo ${state.query}` }))
      }
    }
    class EchoTwin extends Echo {
      threadNamespace = 'Echo'
    }
    const asking = await new Asking().compile({ checkpointer: saver })
    const echo = await new Echo().compile({ checkpointer: saver })
    await asking.invoke({ query: 'laptop' }, { threadId: 'session-42' })
    expect((await rejection(echo.getState('session-42'))).code).toBe('E_THREAD_NOT_FOUND')
    await echo.invoke({ query: 'hijack' }, { threadId: 'session-42' })
    const waiting = await asking.getState('session-42')
    expect(waiting.values.query).toBe('laptop')
    expect(waiting.interrupts).toHaveLength(1)
    expect(waiting.metadata?.thread_id).toBe('session-42')
    expect((await asking.resume('session-42', true)).output.response).toBe('approved')
    // A shared namespace shares threads.
    const twin = await new EchoTwin().compile({ checkpointer: saver })
    expect((await twin.getState('session-42')).values.response).toBe('echo hijack')
  })

  it('exposes thread state, history and validated state updates', async () => {
    const agent = await new BindingAgent().compile()
    await agent.invoke({ query: 'q' }, { threadId: 'hist' })
    const state = await agent.getState('hist')
    expect(state).toMatchObject({ threadId: 'hist', next: [], interrupts: [], values: { query: 'q', response: '3' } })
    expect(state.checkpointId).toEqual(expect.any(String))
    const history = await agent.getHistory('hist')
    expect(history[0].checkpointId).toBe(state.checkpointId)
    expect(history.length).toBeGreaterThan(4)
    expect(await agent.getHistory('hist', { limit: 2 })).toHaveLength(2)

    const updated = await agent.updateState('hist', { response: 'edited', trail: ['manual'] })
    expect(updated.values.response).toBe('edited')
    expect(updated.values.trail.at(-1)).toBe('manual')
    expect((await rejection(agent.updateState('hist', { response: 5 } as never))).code).toBe('E_VALIDATION')
    expect((await rejection(agent.updateState('missing', { response: 'x' }))).code).toBe('E_THREAD_NOT_FOUND')
    expect((await rejection(agent.getHistory('missing'))).code).toBe('E_THREAD_NOT_FOUND')
  })

  it('compiles once: later calls return the same graph, a different checkpointer is refused', async () => {
    const saver = new MemorySaver()
    const agent = new BindingAgent()
    await agent.compile({ checkpointer: saver })
    const graph = agent.compiledGraph
    await agent.compile()
    await agent.compile({ checkpointer: saver })
    expect(agent.compiledGraph).toBe(graph)
    expect((await rejection(agent.compile({ checkpointer: new MemorySaver() }))).code).toBe('E_RUNTIME')
  })

  it('stops a run when its signal aborts: later nodes never run', async () => {
    let reachedSecond = false
    let firstStarted!: () => void
    const first = new Promise<void>((resolve) => (firstStarted = resolve))
    class Abortable extends Agent<typeof S> {
      state = S
      build(graph: GraphBuilder<typeof S>) {
        return graph
          .then(async (_s, ctx) => {
            firstStarted()
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }))
            return {}
          })
          .then(() => {
            reachedSecond = true
            return {}
          })
      }
    }
    const agent = await new Abortable().compile()
    // Observes LangGraph's own run, which may outlive the answer if a stop only raced it.
    const graphRun = jest.spyOn(agent.compiledGraph, 'invoke')
    const controller = new AbortController()
    const run = agent.invoke({ query: 'q' }, { signal: controller.signal })
    await first
    controller.abort(new Error('client went away'))
    const error = await rejection(run)
    expect(error.code).toBe('E_ABORTED')
    // Once the graph's run has settled, no node can start any more: the second never did.
    expect(graphRun).toHaveBeenCalledTimes(1)
    await (graphRun.mock.results[0]?.value as Promise<unknown>).catch(() => undefined)
    expect(reachedSecond).toBe(false)
    graphRun.mockRestore()

    const timeout = new AbortController()
    timeout.abort(new E_TIMEOUT(5))
    expect((await rejection(agent.invoke({ query: 'q' }, { signal: timeout.signal }))).code).toBe('E_TIMEOUT')
  })

  it('describes itself for the runner without compiling', () => {
    class Described extends Agent<typeof S> {
      state = S
      middleware = ['logging']
      checkpointer = 'memory'
      description = 'demo'
      timeoutSeconds = 9
      tools = [{ name: 'search' }]
      build(graph: GraphBuilder<typeof S>) {
        return graph.then(() => ({})).interrupt({ name: 'review' })
      }
    }
    const agent = new Described()
    expect(agent.describe()).toEqual({
      name: 'Described',
      description: 'demo',
      middleware: ['logging'],
      checkpointer: 'memory',
      timeoutSeconds: 9,
      tools: ['search'],
      inputSchema: S.schema,
      interrupts: ['review'],
    })
    expect(agent.isCompiled).toBe(false)
    expect(agent.toMermaid()).toContain('review')
  })

  it('turns LangGraph\'s step limit into E_STEP_LIMIT (a backstop beside each loop\'s own limit)', async () => {
    class Tight extends Agent<typeof S> {
      state = S
      recursionLimit = 6
      build(graph: GraphBuilder<typeof S>) {
        return graph.loop(() => ({ trail: ['x'] }), { while: () => true, maxIterations: 100 })
      }
    }
    const error = await rejection(new Tight().invoke({ query: 'q' }))
    expect(error.code).toBe('E_STEP_LIMIT')
    expect(error.message).toContain('recursionLimit')
  })

  it('sizes the default step limit from its loops, so a long loop ends by its own maxIterations and onLimit', async () => {
    const long = (onLimit: 'exit' | 'error') =>
      class Long extends Agent<typeof S> {
        state = S
        build(graph: GraphBuilder<typeof S>) {
          return graph
            .then(() => ({ trail: ['start'] }))
            .loop(() => ({ trail: ['x'] }), { while: () => true, maxIterations: 600, onLimit })
            .then(() => ({ trail: ['end'] }))
        }
      }
    const { output } = await new (long('exit'))().invoke({ query: 'q' })
    expect(output.trail.filter((item) => item === 'x')).toHaveLength(600)
    expect(output.trail.at(-1)).toBe('end')
    expect((await rejection(new (long('error'))().invoke({ query: 'q' }))).code).toBe('E_LOOP_LIMIT')
  })

  it('rejects a node that returns something other than an update', async () => {
    class Bad extends Agent<typeof S> {
      state = S
      build(graph: GraphBuilder<typeof S>) {
        return graph.then(() => 'oops' as never)
      }
    }
    expect((await rejection(new Bad().invoke({ query: 'q' }))).code).toBe('E_RUNTIME')
  })

  it('fails compile with E_GRAPH_INVALID when build() does not return the builder', async () => {
    class Forgetful extends Agent<typeof S> {
      state = S
      build(graph: GraphBuilder<typeof S>) {
        graph.then(() => ({}))
        return undefined as never
      }
    }
    expect((await rejection(new Forgetful().compile())).code).toBe('E_GRAPH_INVALID')
  })
})

describe('Agent.stream', () => {
  it('streams chat-model tokens as `messages` events tagged with their node, beside node updates', async () => {
    const model = new FakeListChatModel({ responses: ['hi there'] })
    const Chat = defineState({ messages: reducers.messages() })
    class ChatAgent extends Agent<typeof Chat> {
      state = Chat
      build(graph: GraphBuilder<typeof Chat>) {
        return graph.then(this.chat)
      }
      async chat(state: StateOf<typeof Chat>, ctx: NodeContext) {
        return { messages: [await model.invoke(state.messages, ctx.config)] }
      }
    }
    const list = await events(new ChatAgent().stream({ messages: [{ role: 'user', content: 'hello' }] }, { modes: ['messages', 'updates'] }))
    const messages = list.filter((event) => event.event === 'messages')
    expect(messages.length).toBeGreaterThan(0)
    expect(messages.every((event) => 'node' in event && event.node === 'chat')).toBe(true)
    const update = list.find((event) => event.event === 'updates') as { data: { messages: Array<{ content: string }> } }
    expect(update.data.messages.map((m) => m.content)).toEqual(['hi there'])
  })

  it('ends early without error when the consumer stops reading', async () => {
    const agent = new BindingAgent()
    for await (const event of agent.stream({ query: 'q' }, { threadId: 'early-exit' })) {
      expect(event.event).toBe('updates')
      break
    }
    expect((await agent.getState('early-exit')).values.query).toBe('q')
  })
})
