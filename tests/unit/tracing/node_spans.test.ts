import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { Annotation, StateGraph } from '@langchain/langgraph'
import { z } from 'zod'
import { Agent, defineState, reducers, type GraphBuilder, type NodeContext } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import type { AgentRouteInfo, RunOptions } from '../../../framework/contracts/agent_run'
import { createLogger } from '../../../framework/logger'
import { Router } from '../../../framework/routing'
import { member, supervisor, type TeamTurnInfo } from '../../../framework/teams'
import { clearActiveTracing, setActiveTracing, traced } from '../../../framework/tracing'
import { GraphSpanHandler } from '../../../framework/tracing/graph_spans'
import { OtelTracing } from '../../../framework/tracing/otel_tracing'
import { RunTrace } from '../../../framework/tracing/run_trace'

const exporter = new InMemorySpanExporter()
const tracing = new OtelTracing({ serviceName: 'node-spans-test', spanProcessors: [new SimpleSpanProcessor(exporter)] })

const State = defineState({ query: z.string(), parts: reducers.append(z.string()), result: z.string().optional() })
type S = { query: string; parts: string[]; result?: string }

class FanOutAgent extends Agent<typeof State> {
  state = State
  build(graph: GraphBuilder<typeof State>) {
    return graph
      .then(function start() {
        return {}
      })
      .parallel(
        async function left() {
          await new Promise((resolve) => setTimeout(resolve, 5))
          return { parts: ['left'] }
        },
        async function right() {
          await new Promise((resolve) => setTimeout(resolve, 5))
          return { parts: ['right'] }
        },
      )
      .merge(function join(state: S) {
        return { result: state.parts.sort().join('+') }
      })
  }
}

const MemberState = defineState({ query: z.string(), found: z.string().optional() })

class ResearcherAgent extends Agent<typeof MemberState> {
  state = MemberState
  description = 'Looks things up'
  build(graph: GraphBuilder<typeof MemberState>) {
    return graph.then(async function research(state: { query: string }) {
      const found = await traced('lookup', {}, async () => `found ${state.query}`)
      return { found }
    })
  }
}

const researcher = member<S, { query: string; found?: string }>(ResearcherAgent, { input: (state) => ({ query: state.query }), output: (result) => ({ result: result.found }) })
const once = (_state: S, _ctx: NodeContext, info: TeamTurnInfo) => (info.turn === 0 ? 'researcher' : 'done')

class TeamAgent extends Agent<typeof State> {
  state = State
  build(graph: GraphBuilder<typeof State>) {
    return graph.then(supervisor<S>({ members: [researcher], route: once }))
  }
}

class PairAgent extends Agent<typeof State> {
  state = State
  build(graph: GraphBuilder<typeof State>) {
    return graph
      .then(function first() {
        return { parts: ['a'] }
      })
      .then(function second() {
        return { result: 'done' }
      })
  }
}

/** A graph compiled with LangGraph alone, served with Route.graph. */
function broughtGraph() {
  const Brought = Annotation.Root({ query: Annotation<string>(), answer: Annotation<string | undefined>() })
  return new StateGraph(Brought)
    .addNode('lookup', (state: typeof Brought.State) => ({ answer: `found ${state.query}` }))
    .addNode('reply', (state: typeof Brought.State) => ({ answer: `${state.answer}!` }))
    .addEdge('__start__', 'lookup')
    .addEdge('lookup', 'reply')
    .addEdge('reply', '__end__')
    .compile()
}

function runner(): AgentRunner {
  const router = new Router()
  router.agent('/fan', FanOutAgent)
  router.agent('/team', TeamAgent)
  router.agent('/pair', PairAgent)
  router.agent('/external', PairAgent)
  router.graph('/brought', broughtGraph())
  return new AgentRunner({ routes: router.routes(), logger: createLogger({ silent: true }) })
}

const one = (spans: ReadableSpan[], name: string) => {
  const found = spans.filter((span) => span.name === name)
  if (found.length !== 1) throw new Error(`${found.length} spans ${name} among ${spans.map((span) => span.name).join(', ')}`)
  return found[0]
}
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId
const idOf = (span: ReadableSpan) => span.spanContext().spanId

describe('node spans made by the nodes of Langvel-built graphs', () => {
  let agents: AgentRunner

  beforeAll(() => {
    setActiveTracing(tracing)
    agents = runner()
  })
  afterAll(async () => {
    clearActiveTracing(tracing)
    await tracing.shutdown()
  })
  beforeEach(() => exporter.reset())

  it("puts a streamed run's nodes under the run span", async () => {
    const events = await agents.stream('/pair', { query: 'q' }, { modes: ['updates'] })
    for await (const _event of events) {
      // read to the end
    }
    const spans = exporter.getFinishedSpans()
    const run = one(spans, 'invoke_agent PairAgent')
    for (const name of ['node first', 'node second']) {
      const node = one(spans, name)
      expect(parentOf(node)).toBe(idOf(run))
      expect(node.spanContext().traceId).toBe(run.spanContext().traceId)
      expect(node.attributes).toMatchObject({ 'langvel.agent': 'PairAgent', 'langvel.route': '/pair' })
    }
  })

  it('makes nodes that run in parallel siblings under the run, each with its step', async () => {
    const { output } = await agents.invoke('/fan', { query: 'q' })
    expect(output.result).toBe('left+right')
    const spans = exporter.getFinishedSpans()
    const run = one(spans, 'invoke_agent FanOutAgent')
    const left = one(spans, 'node left')
    const right = one(spans, 'node right')
    expect(parentOf(left)).toBe(idOf(run))
    expect(parentOf(right)).toBe(idOf(run))
    expect(left.attributes['langgraph.step']).toBe(right.attributes['langgraph.step'])
    expect(parentOf(one(spans, 'node join'))).toBe(idOf(run))
  })

  it("puts a team member's nodes, and the spans they make, under the member's node", async () => {
    const { output } = await agents.invoke('/team', { query: 'q' })
    expect(output.result).toBe('found q')
    const spans = exporter.getFinishedSpans()
    const run = one(spans, 'invoke_agent TeamAgent')
    const memberNode = one(spans, 'node researcher')
    expect(parentOf(memberNode)).toBe(idOf(run))
    const research = one(spans, 'node research')
    expect(parentOf(research)).toBe(idOf(memberNode))
    expect(parentOf(one(spans, 'lookup'))).toBe(idOf(research))
  })

  it('leaves the whole-run handler off the callbacks of a run of a Langvel-built graph', () => {
    const route = { path: '/pair', agent: 'PairAgent', middleware: [], checkpointer: 'memory', interrupts: [] } as unknown as AgentRouteInfo
    const own = new GraphSpanHandler(tracing.tracer, tracing.parentContext(), { agent: 'x', path: '/x' })
    const run = RunTrace.start(route, 'invoke', { callbacks: [own] })
    const external = RunTrace.start(route, 'invoke', { callbacks: [own] }, { graphCallbacks: true })
    const routed = RunTrace.start({ ...route, externalGraph: true }, 'invoke', {} as RunOptions)
    for (const trace of [run, external, routed]) trace?.end('success')
    expect(run?.options.callbacks).toEqual([own])
    expect((external?.options.callbacks as unknown[]).filter((handler) => handler instanceof GraphSpanHandler)).toHaveLength(2)
    expect((routed?.options.callbacks as unknown[]).filter((handler) => handler instanceof GraphSpanHandler)).toHaveLength(1)
  })

  it('makes each node span once when the route asks for the whole-run handler (a graph Langvel did not build)', async () => {
    ;(agents.route('/external') as { externalGraph?: boolean }).externalGraph = true
    await agents.invoke('/external', { query: 'q' })
    const spans = exporter.getFinishedSpans()
    const run = one(spans, 'invoke_agent PairAgent')
    expect(parentOf(one(spans, 'node first'))).toBe(idOf(run))
    expect(parentOf(one(spans, 'node second'))).toBe(idOf(run))
  })

  it('traces the nodes of a graph served with Route.graph through the whole-run handler, each once, under the run', async () => {
    expect(agents.route('/brought').externalGraph).toBe(true)
    const result = await agents.invoke('/brought', { query: 'q' })
    expect(result.output).toMatchObject({ answer: 'found q!' })
    const spans = exporter.getFinishedSpans()
    const run = spans.find((span) => span.name.startsWith('invoke_agent '))
    expect(run).toBeDefined()
    expect(parentOf(one(spans, 'node lookup'))).toBe(idOf(run as ReadableSpan))
    expect(parentOf(one(spans, 'node reply'))).toBe(idOf(run as ReadableSpan))
  })

  it('makes no node span for a graph run outside a traced agent run', async () => {
    const agent = await new PairAgent().compile()
    await agent.invoke({ query: 'q' })
    expect(exporter.getFinishedSpans().filter((span) => span.name.startsWith('node '))).toEqual([])
  })
})
