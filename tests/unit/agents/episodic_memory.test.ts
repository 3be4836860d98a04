import { InMemoryStore } from '@langchain/langgraph-checkpoint'
import Transport from 'winston-transport'
import { z } from 'zod'
import { Agent, defineState, reducers, type AgentOptions, type EpisodeContext, type GraphBuilder, type StateOf } from '../../../framework/agents'
import type { RequestContext } from '../../../framework/contracts/request_context'
import { settleEpisodes } from '../../../framework/agents/episodic_memory'
import { clearLlmManagerResolver, setLlmManagerResolver } from '../../../framework/llm/llm_runtime'
import { createLogger } from '../../../framework/logger'
import { MemoryManager } from '../../../framework/memory/memory_manager'
import { memoryMetrics } from '../../../framework/memory/memory_metrics'
import { setMemoryManagerResolver } from '../../../framework/memory/memory_runtime'
import { fakeManager } from '../llm/helpers'

class Capture extends Transport {
  readonly records: Array<Record<string, unknown>> = []
  override log(info: Record<string, unknown>, callback: () => void): void {
    this.records.push(info)
    callback()
  }
}

const TripState = defineState({ city: z.string(), fail: z.boolean().optional(), plan: z.string().optional() })
type Trip = StateOf<typeof TripState>

/** Plans a trip in one node and keeps an episode of each finished thread, summarised by its own function. */
class TripAgent extends Agent<typeof TripState> implements AgentOptions {
  state = TripState
  seen: EpisodeContext[] = []
  episodicMemory = {
    summarize(this: TripAgent, state: Trip, ctx: EpisodeContext) {
      this.seen.push(ctx)
      return `Planned a trip to ${state.city}`
    },
  }
  build(graph: GraphBuilder<typeof TripState>) {
    return graph.then(this.plan)
  }
  plan(state: Trip) {
    if (state.fail) throw new Error('no flights')
    return { plan: `fly to ${state.city}` }
  }
}

/** The same graph stopping for a human before it plans. */
class ApprovedTripAgent extends TripAgent {
  override build(graph: GraphBuilder<typeof TripState>) {
    return graph.interrupt({ name: 'approve' }).then(this.plan)
  }
}

/** No episodicMemory declared. */
class PlainTripAgent extends Agent<typeof TripState> {
  state = TripState
  build(graph: GraphBuilder<typeof TripState>) {
    return graph.then((state: Trip) => ({ plan: `fly to ${state.city}` }))
  }
}

const context = (principal?: RequestContext['principal']): RequestContext => ({ requestId: 'r', traceId: 't', ...(principal ? { principal } : {}) })
const user = (id: string) => ({ id, type: 'user' as const, permissions: [] })
const alice = context(user('alice'))

async function episodeCount(agent: string, outcome: string): Promise<number> {
  await settleEpisodes()
  const { values } = await memoryMetrics().episodes.get()
  return values.filter((v) => v.labels.agent === agent && v.labels.outcome === outcome).reduce((sum, v) => sum + v.value, 0)
}

/** Episodes are stored after a run returns: wait for them before reading. */
async function settled<T>(value: T): Promise<T> {
  await settleEpisodes()
  return value
}

describe('episodic memory of an agent', () => {
  let capture: Capture
  let manager: MemoryManager
  const create = (options: { allowAnonymous?: boolean; episodeMaxChars?: number } = {}) => {
    capture = new Capture()
    manager = new MemoryManager({
      config: { default: 'memory', semantic: false, allowAnonymous: options.allowAnonymous ?? false, recallLimit: 5, episodeMaxChars: options.episodeMaxChars ?? 2000 },
      logger: createLogger({ level: 'debug', transports: [capture] }),
    })
    setMemoryManagerResolver(() => manager)
    return manager
  }
  beforeEach(() => create())
  afterEach(() => setMemoryManagerResolver(undefined))

  it("stores a summary of each finished thread for the run's principal, one per thread, replaced by a later run of that thread", async () => {
    const agent = await new TripAgent().compile({ route: '/trips' })
    const first = await agent.invoke({ city: 'Lisbon' }, { context: alice })
    await agent.invoke({ city: 'Porto' }, { context: alice })
    await agent.invoke({ city: 'Lisbon and Madrid' }, { context: alice, threadId: first.threadId })
    const episodes = await (await settled(manager)).forOwner('user:alice').episodes()
    expect(episodes.map((episode) => episode.summary).sort()).toEqual(['Planned a trip to Lisbon and Madrid', 'Planned a trip to Porto'])
    expect(episodes.find((episode) => episode.threadId === first.threadId)).toMatchObject({ key: `/trips:${first.threadId}`, agent: 'TripAgent', route: '/trips' })
    expect(agent.seen[0]).toMatchObject({ threadId: first.threadId, agent: 'TripAgent', route: '/trips', context: { principal: { id: 'alice' } } })
    expect((await (await settled(manager)).forOwner('user:alice').episodes('Porto')).map((hit) => hit.summary)).toEqual(['Planned a trip to Porto'])
    expect(await (await settled(manager)).forOwner('user:bob').episodes()).toEqual([])
    // Episodes are kept apart from remembered facts.
    expect(await (await settled(manager)).forOwner('user:alice').list()).toEqual([])
  })

  it('stores nothing when the run stops at an interrupt, and the summary once the resumed run finishes', async () => {
    const agent = await new ApprovedTripAgent().compile({ route: '/approved-trips' })
    const stopped = await agent.invoke({ city: 'Oslo' }, { context: alice })
    expect(stopped.interrupts).toHaveLength(1)
    expect(await (await settled(manager)).forOwner('user:alice').episodes()).toEqual([])
    await agent.resume(stopped.threadId, true, { context: alice })
    expect((await (await settled(manager)).forOwner('user:alice').episodes()).map((episode) => episode.summary)).toEqual(['Planned a trip to Oslo'])
  })

  it('stores nothing when the run fails, and the run fails with its own error', async () => {
    const agent = await new TripAgent().compile()
    await expect(agent.invoke({ city: 'Nowhere', fail: true }, { context: alice })).rejects.toThrow('no flights')
    expect(await (await settled(manager)).forOwner('user:alice').episodes()).toEqual([])
  })

  it('stores the episode of a streamed run once its stream ends, and none for a stream that stops at an interrupt', async () => {
    const agent = await new TripAgent().compile({ route: '/streamed' })
    for await (const _event of agent.stream({ city: 'Rome' }, { context: alice })) void _event
    expect((await (await settled(manager)).forOwner('user:alice').episodes()).map((episode) => episode.summary)).toEqual(['Planned a trip to Rome'])

    const approved = await new ApprovedTripAgent().compile({ route: '/streamed-approved' })
    const events = []
    for await (const event of approved.stream({ city: 'Bern' }, { context: alice })) events.push(event)
    expect(events.at(-1)?.event).toBe('interrupt')
    expect(await (await settled(manager)).forOwner('user:alice').episodes()).toHaveLength(1)
  })

  it('stores nothing for an anonymous run (which still succeeds), unless anonymous memory is allowed', async () => {
    const agent = await new TripAgent().compile()
    expect((await agent.invoke({ city: 'Paris' }, { context: context() })).output.plan).toBe('fly to Paris')
    expect(await (await settled(manager)).forOwner('anonymous').episodes()).toEqual([])
    expect(agent.seen).toEqual([])

    create({ allowAnonymous: true })
    await agent.invoke({ city: 'Paris' }, { context: context() })
    expect((await (await settled(manager)).forOwner('anonymous').episodes()).map((episode) => episode.summary)).toEqual(['Planned a trip to Paris'])
  })

  it('stores nothing for an agent that does not declare episodicMemory', async () => {
    await (await new PlainTripAgent().compile()).invoke({ city: 'Vienna' }, { context: alice })
    expect(await (await settled(manager)).forOwner('user:alice').episodes()).toEqual([])
  })

  it('never fails the finished run when the summary or the store fails: it logs a warning and counts it', async () => {
    class FailingSummary extends TripAgent {
      override episodicMemory = {
        summarize(): string {
          throw new Error('summarizer down')
        },
      }
    }
    const before = await episodeCount('/failing', 'failed')
    const agent = await new FailingSummary().compile({ route: '/failing' })
    expect((await agent.invoke({ city: 'Athens' }, { context: alice })).output.plan).toBe('fly to Athens')
    expect(await episodeCount('/failing', 'failed')).toBe(before + 1)
    await settleEpisodes()
    const warning = capture.records.find((record) => record.level === 'warn')
    expect(warning).toMatchObject({ agent: 'FailingSummary', route: '/failing', error: 'summarizer down' })

    class BrokenStore extends InMemoryStore {
      override async put(): Promise<void> {
        throw new Error('store down')
      }
    }
    create().extend('memory', () => ({ store: new BrokenStore() }))
    const stored = await episodeCount('/trips-broken', 'failed')
    const tripAgent = await new TripAgent().compile({ route: '/trips-broken' })
    expect((await tripAgent.invoke({ city: 'Sofia' }, { context: alice })).output.plan).toBe('fly to Sofia')
    expect(await episodeCount('/trips-broken', 'failed')).toBe(stored + 1)
    await settleEpisodes()
    expect(capture.records.some((record) => record.level === 'warn' && record.error === 'store down')).toBe(true)
  })

  it('cuts a summary to MEMORY_EPISODE_MAX_CHARS and skips an empty one', async () => {
    create({ episodeMaxChars: 100 })
    class Verbose extends TripAgent {
      override episodicMemory = { summarize: (state: Record<string, unknown>) => String(state.city).repeat(50) }
    }
    await (await new Verbose().compile()).invoke({ city: 'Lima' }, { context: alice })
    const [episode] = await (await settled(manager)).forOwner('user:alice').episodes()
    expect(episode.summary).toHaveLength(100)
    expect(episode.summary.endsWith('…')).toBe(true)

    class Silent extends TripAgent {
      override episodicMemory = { summarize: () => '   ' }
    }
    const skipped = await episodeCount('/silent', 'skipped')
    await (await new Silent().compile({ route: '/silent' })).invoke({ city: 'Quito' }, { context: alice })
    expect(await (await settled(manager)).forOwner('user:alice').episodes()).toHaveLength(1)
    expect(await episodeCount('/silent', 'skipped')).toBe(skipped + 1)
  })

  describe('the default summary (episodicMemory = true)', () => {
    const fake = fakeManager()
    const resolve = () => fake.manager
    beforeEach(() => setLlmManagerResolver(resolve))
    afterEach(() => clearLlmManagerResolver(resolve))

    it('asks the model to summarise the conversation when the state has messages', async () => {
      const ChatState = defineState({ messages: reducers.messages() })
      class Chat extends Agent<typeof ChatState> {
        state = ChatState
        episodicMemory = true
        build(graph: GraphBuilder<typeof ChatState>) {
          return graph.then(() => ({ messages: [{ role: 'assistant', content: 'Lisbon is lovely in May.' }] }))
        }
      }
      fake.script.reply('The user planned a trip to Lisbon in May.')
      await (await new Chat().compile()).invoke({ messages: [{ role: 'user', content: 'I want to visit Lisbon' }] }, { context: alice })
      const [episode] = await (await settled(manager)).forOwner('user:alice').episodes()
      expect(episode.summary).toBe('The user planned a trip to Lisbon in May.')
      const call = fake.script.calls.at(-1)
      expect(call?.messages.map((message) => [message.type, message.text])).toEqual([
        ['system', expect.stringContaining('Summarise this conversation')],
        ['human', 'I want to visit Lisbon'],
        ['ai', 'Lisbon is lovely in May.'],
      ])
    })

    it('stores a compact text of the final state when there is no conversation', async () => {
      class Default extends PlainTripAgent {
        episodicMemory = true
      }
      await (await new Default().compile()).invoke({ city: 'Kyoto' }, { context: alice })
      const [episode] = await (await settled(manager)).forOwner('user:alice').episodes()
      expect(JSON.parse(episode.summary)).toEqual({ city: 'Kyoto', plan: 'fly to Kyoto' })
    })
  })
})
