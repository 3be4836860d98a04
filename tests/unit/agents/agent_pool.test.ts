import { MemorySaver, type BaseCheckpointSaver } from '@langchain/langgraph-checkpoint'
import { z } from 'zod'
import { Agent, defineState, type GraphBuilder } from '../../../framework/agents'
import { getMetrics } from '../../../framework/observability'
import { AgentPool } from '../../../framework/agents/agent_pool'
import { E_UNKNOWN_DRIVER } from '../../../framework/errors'
import { InertAgent } from '../routing/fixtures/fake_agents'

/** A minimal agent: counts constructions and compilations, compiles asynchronously. */
function fakeAgentClass(options: { failCompiles?: number; checkpointer?: string } = {}) {
  const stats = { created: 0, compiled: 0, compileCalls: 0, savers: [] as Array<BaseCheckpointSaver | undefined> }
  let failuresLeft = options.failCompiles ?? 0
  class FakeAgent extends InertAgent {
    readonly checkpointer = options.checkpointer
    compiledWith?: BaseCheckpointSaver
    constructor() {
      super()
      stats.created++
    }
    override async compile({ checkpointer }: { checkpointer?: BaseCheckpointSaver }) {
      stats.compileCalls++
      stats.savers.push(checkpointer)
      await new Promise((resolve) => setTimeout(resolve, 5))
      if (failuresLeft > 0) {
        failuresLeft--
        throw new Error('compile failed')
      }
      stats.compiled++
      this.compiledWith = checkpointer
    }
  }
  return { FakeAgent, stats }
}

describe('AgentPool', () => {
  it('creates exactly one instance and compiles it once when 50 first requests arrive together', async () => {
    const { FakeAgent, stats } = fakeAgentClass()
    const pool = new AgentPool()
    const route = { path: '/support', agent: FakeAgent }

    const agents = await Promise.all(Array.from({ length: 50 }, () => pool.get(route)))

    expect(stats.created).toBe(1)
    expect(stats.compileCalls).toBe(1)
    expect(new Set(agents).size).toBe(1)
    expect(agents[0]).toBeInstanceOf(FakeAgent)
  })

  it('keeps the compiled agent for later calls and returns the same instance that instance() gave', async () => {
    const { FakeAgent, stats } = fakeAgentClass()
    const pool = new AgentPool()
    const route = { path: '/support', agent: FakeAgent }

    const declared = pool.instance(route)
    const first = await pool.get(route)
    const second = await pool.get(route)

    expect(first).toBe(declared)
    expect(second).toBe(first)
    expect(stats.compileCalls).toBe(1)
  })

  it('gives each route its own instance, even for the same agent class', async () => {
    const { FakeAgent, stats } = fakeAgentClass()
    const pool = new AgentPool()

    const [a, b] = await Promise.all([pool.get({ path: '/a', agent: FakeAgent }), pool.get({ path: '/b', agent: FakeAgent })])

    expect(a).not.toBe(b)
    expect(stats.created).toBe(2)
    expect(pool.size).toBe(2)
  })

  it('shares one compile failure among concurrent waiters, then retries with a fresh instance', async () => {
    const { FakeAgent, stats } = fakeAgentClass({ failCompiles: 1 })
    const pool = new AgentPool()
    const route = { path: '/flaky', agent: FakeAgent }

    const results = await Promise.allSettled(Array.from({ length: 10 }, () => pool.get(route)))

    expect(results.every((r) => r.status === 'rejected')).toBe(true)
    const reasons = new Set(results.map((r) => (r as PromiseRejectedResult).reason))
    expect(reasons.size).toBe(1)
    expect(stats.compileCalls).toBe(1)
    expect(pool.has('/flaky')).toBe(false)

    const agent = await pool.get(route)
    expect(stats.compileCalls).toBe(2)
    expect(stats.created).toBe(2)
    await expect(pool.get(route)).resolves.toBe(agent)
  })

  it('compiles with the checkpointer resolved from the name the agent declares', async () => {
    const { FakeAgent, stats } = fakeAgentClass({ checkpointer: 'memory' })
    const saver = new MemorySaver()
    const asked: Array<string | undefined> = []
    const pool = new AgentPool({ resolveCheckpointer: (name) => (asked.push(name), saver) })

    await pool.get({ path: '/memory', agent: FakeAgent })

    expect(asked).toEqual(['memory'])
    expect(stats.savers).toEqual([saver])
  })

  it('does not cache a checkpointer lookup failure (an unknown driver) either', async () => {
    const { FakeAgent } = fakeAgentClass({ checkpointer: 'typo' })
    let broken = true
    const pool = new AgentPool({
      resolveCheckpointer: () => {
        if (broken) throw new E_UNKNOWN_DRIVER('checkpointer', 'typo', ['memory'])
        return new MemorySaver()
      },
    })
    const route = { path: '/x', agent: FakeAgent }

    await expect(pool.get(route)).rejects.toMatchObject({ code: 'E_UNKNOWN_DRIVER' })
    broken = false
    await expect(pool.get(route)).resolves.toBeInstanceOf(FakeAgent)
  })

  it('warms every route ahead of the first request', async () => {
    const { FakeAgent, stats } = fakeAgentClass()
    const pool = new AgentPool()

    await pool.warm([
      { path: '/a', agent: FakeAgent },
      { path: '/b', agent: FakeAgent },
    ])

    expect(stats.compiled).toBe(2)
  })
})

describe('AgentPool metrics', () => {
  it('compiles a route\'s agent so its node durations are recorded under the route path, subgraph chains included', async () => {
    const S = defineState({ q: z.string() })
    class Timed extends Agent<typeof S> {
      state = S
      build(graph: GraphBuilder<typeof S>) {
        return graph.then(this.first).subgraph(graph.chain().then(this.inner), { name: 'sub' })
      }
      first() {
        return { q: 'a' }
      }
      inner() {
        return { q: 'b' }
      }
    }
    const agent = await new AgentPool().get({ path: '/timed-route', agent: Timed as never })
    await agent.invoke({ q: 'x' })
    await agent.invoke({ q: 'y' })
    const text = await getMetrics().render()
    expect(text).toMatch(/langvel_node_duration_seconds_count\{agent="\/timed-route",node="first"\} 2/)
    expect(text).toMatch(/langvel_node_duration_seconds_count\{agent="\/timed-route",node="inner"\} 2/)
  })
})

describe('AgentPool threads', () => {
  it('keeps each route\'s threads apart by default, on one checkpointer and one agent class; a declared threadNamespace shares them', async () => {
    const saver = new MemorySaver()
    const S = defineState({ q: z.string(), seen: z.string().optional() })
    class Noting extends Agent<typeof S> {
      state = S
      build(graph: GraphBuilder<typeof S>) {
        return graph.then((state) => ({ seen: `${state.seen ?? ''}${state.q}` }))
      }
    }
    class Shared extends Noting {
      threadNamespace = 'notes'
    }
    const pool = new AgentPool({ resolveCheckpointer: () => saver })
    const open = await pool.get({ path: '/notes', agent: Noting as never })
    const secure = await pool.get({ path: '/secure/notes', agent: Noting as never })
    await open.invoke({ q: 'a' }, { threadId: 't' })
    expect((await secure.invoke({ q: 'b' }, { threadId: 't' })).output).toMatchObject({ seen: 'b' })
    expect((await open.getState('t')).values).toMatchObject({ seen: 'a' })
    const one = await pool.get({ path: '/one', agent: Shared as never })
    const two = await pool.get({ path: '/two', agent: Shared as never })
    await one.invoke({ q: 'x' }, { threadId: 'u' })
    expect((await two.invoke({ q: 'y' }, { threadId: 'u' })).output).toMatchObject({ seen: 'xy' })
  })
})
