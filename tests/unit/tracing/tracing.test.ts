import type { BaseMessage } from '@langchain/core/messages'
import { FakeListChatModel } from '@langchain/core/utils/testing'
import { tool as langchainTool } from '@langchain/core/tools'
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { z } from 'zod'
import { Agent, defineState, reducers, type GraphBuilder } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { E_TOOL_FAILED, E_VALIDATION } from '../../../framework/errors'
import { toolLoop } from '../../../framework/llm'
import { createLogger } from '../../../framework/logger'
import { Router } from '../../../framework/routing'
import { defineTool } from '../../../framework/tools'
import { OtelTracing } from '../../../framework/tracing/otel_tracing'
import { clearActiveTracing, setActiveTracing } from '../../../framework/tracing'
import { fakeManager } from '../llm/helpers'

const exporter = new InMemorySpanExporter()
const tracing = new OtelTracing({ serviceName: 'tracing-test', serviceVersion: '1.2.3', spanProcessors: [new SimpleSpanProcessor(exporter)] })
const { llm, script } = fakeManager()

const lookupOrder = defineTool({
  name: 'lookup_order',
  description: 'Find an order',
  schema: z.object({ orderId: z.number().int() }),
  handler: async ({ orderId }) => ({ orderId, status: 'shipped' }),
})
const brokenTool = defineTool({ name: 'broken', description: 'Always fails', schema: z.object({}), handler: () => Promise.reject(new Error('disk on fire')) })

const SupportState = defineState({ query: z.string(), messages: reducers.messages(), answer: z.string().optional() })

class SupportAgent extends Agent<typeof SupportState> {
  state = SupportState
  build(graph: GraphBuilder<typeof SupportState>) {
    return graph
      .then(function ask(state) {
        return { messages: [{ role: 'user', content: state.query }] }
      })
      .then(toolLoop({ llm, tools: [lookupOrder], maxSteps: 3, name: 'answer' }))
      .then(function respond(state) {
        return { answer: (state.messages.at(-1) as BaseMessage).text }
      })
  }
}

const PlainState = defineState({ query: z.string(), result: z.string().optional(), approved: z.boolean().optional() })

class FailingAgent extends Agent<typeof PlainState> {
  state = PlainState
  build(graph: GraphBuilder<typeof PlainState>) {
    return graph
      .then(function prepare() {
        return {}
      })
      .then(async function explode() {
        await brokenTool.call({})
        return {}
      })
  }
}

class ApprovalAgent extends Agent<typeof PlainState> {
  state = PlainState
  build(graph: GraphBuilder<typeof PlainState>) {
    return graph
      .then(function draft(state) {
        return { result: `draft ${state.query}` }
      })
      .interrupt({ name: 'review', payload: (state) => ({ draft: state.result }), resumeInto: 'approved', resumeSchema: z.boolean() })
      .then(function publish(state) {
        return { result: `published ${state.result}` }
      })
  }
}

function runner(): AgentRunner {
  const router = new Router()
  router.agent('/support', SupportAgent)
  router.agent('/failing', FailingAgent)
  router.agent('/approval', ApprovalAgent)
  return new AgentRunner({ routes: router.routes(), logger: createLogger({ silent: true }) })
}

const byName = (spans: ReadableSpan[], name: string) => {
  const found = spans.filter((span) => span.name === name)
  if (found.length === 0) throw new Error(`no span ${name} among ${spans.map((span) => span.name).join(', ')}`)
  return found
}
const one = (spans: ReadableSpan[], name: string) => byName(spans, name)[0]
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId

describe('OpenTelemetry tracing of agent runs', () => {
  let agents: AgentRunner

  beforeAll(() => {
    setActiveTracing(tracing)
    agents = runner()
  })
  afterAll(async () => {
    clearActiveTracing(tracing)
    await tracing.shutdown()
  })
  beforeEach(() => {
    exporter.reset()
    script.reset()
  })

  it('makes a tree: the run, its nodes, and the model and tool calls inside the nodes that made them', async () => {
    script.toolCall('lookup_order', { orderId: 7 }, 'call-1').reply('Order 7 has shipped.')
    const { output, threadId } = await agents.invoke('/support', { query: 'Where is order 7?' }, { threadId: 'thread-1' })
    expect(output.answer).toBe('Order 7 has shipped.')

    const spans = exporter.getFinishedSpans()
    const run = one(spans, 'invoke_agent SupportAgent')
    expect(run.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'SupportAgent',
      'gen_ai.conversation.id': threadId,
      'langvel.route': '/support',
      'langvel.run.mode': 'invoke',
      'langvel.run.outcome': 'success',
    })
    // One trace, rooted at the run.
    expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([run.spanContext().traceId]))
    expect(parentOf(run)).toBeUndefined()

    const nodes = spans.filter((span) => span.name.startsWith('node '))
    expect(nodes.map((span) => span.attributes['langgraph.node'])).toEqual(expect.arrayContaining(['ask', 'respond']))
    for (const node of nodes) {
      expect(node.attributes).toMatchObject({ 'langvel.agent': 'SupportAgent', 'langvel.route': '/support' })
    }
    const nodeIds = new Set(nodes.map((node) => node.spanContext().spanId))
    for (const node of nodes) expect(parentOf(node)).toBe(run.spanContext().spanId)

    const models = byName(spans, 'chat fake-model')
    expect(models).toHaveLength(2)
    for (const model of models) expect(nodeIds.has(parentOf(model) as string)).toBe(true)
    expect(models[0].attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'fake',
      'gen_ai.request.model': 'fake-model',
      'gen_ai.response.finish_reasons': ['tool_calls'],
    })
    expect(models[1].attributes['gen_ai.response.finish_reasons']).toEqual(['stop'])
    expect(models[0].attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0)
    expect(models[1].attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0)

    // One span per call: the LangChain runs around Langvel's model and tool calls make none of their own.
    expect(byName(spans, 'execute_tool lookup_order')).toHaveLength(1)
    expect(spans.filter((span) => span.name.startsWith('chat'))).toHaveLength(2)
    const tool = one(spans, 'execute_tool lookup_order')
    expect(tool.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order', 'gen_ai.tool.call.id': 'call-1' })
    expect(nodeIds.has(parentOf(tool) as string)).toBe(true)
    // Children end before their parents.
    expect(run.endTime[0] * 1e9 + run.endTime[1]).toBeGreaterThanOrEqual(tool.endTime[0] * 1e9 + tool.endTime[1])
  })

  it('leaves prompts, completions and tool arguments off spans unless content capture is on', async () => {
    script.toolCall('lookup_order', { orderId: 7 }, 'call-1').reply('Order 7 has shipped.')
    await agents.invoke('/support', { query: 'Where is order 7?' })
    for (const span of exporter.getFinishedSpans()) {
      expect(Object.keys(span.attributes).filter((key) => /messages|arguments|result|query/.test(key))).toEqual([])
    }
  })

  it('puts prompts, completions and tool arguments on spans with content capture on', async () => {
    const capturing = new OtelTracing({ serviceName: 'capture', spanProcessors: [new SimpleSpanProcessor(exporter)], captureContent: true })
    setActiveTracing(capturing)
    try {
      script.toolCall('lookup_order', { orderId: 7 }, 'call-1').reply('Order 7 has shipped.')
      await agents.invoke('/support', { query: 'Where is order 7?' })
    } finally {
      setActiveTracing(tracing)
    }
    const spans = exporter.getFinishedSpans()
    const [first, second] = byName(spans, 'chat fake-model')
    expect(JSON.parse(first.attributes['gen_ai.input.messages'] as string)).toEqual([{ role: 'user', content: 'Where is order 7?' }])
    expect(JSON.parse(first.attributes['gen_ai.output.messages'] as string)[0]).toMatchObject({ role: 'assistant', tool_calls: [{ name: 'lookup_order', arguments: { orderId: 7 } }] })
    expect(JSON.parse(second.attributes['gen_ai.output.messages'] as string)[0]).toMatchObject({ role: 'assistant', content: 'Order 7 has shipped.', finish_reason: 'stop' })
    const tool = one(spans, 'execute_tool lookup_order')
    expect(JSON.parse(tool.attributes['gen_ai.tool.call.arguments'] as string)).toEqual({ orderId: 7 })
    expect(JSON.parse(tool.attributes['gen_ai.tool.call.result'] as string)).toEqual({ orderId: 7, status: 'shipped' })
  })

  it('records a failure on the tool, node and run spans with its code', async () => {
    const error = await agents.invoke('/failing', { query: 'x' }).catch((caught) => caught)
    expect(error).toBeInstanceOf(E_TOOL_FAILED)
    const spans = exporter.getFinishedSpans()
    for (const name of ['execute_tool broken', 'node explode', 'invoke_agent FailingAgent']) {
      const span = one(spans, name)
      expect(span.status.code).toBe(SpanStatusCode.ERROR)
      expect(span.attributes['langvel.error.code']).toBe('E_TOOL_FAILED')
      expect(span.events.map((event) => event.name)).toContain('exception')
    }
    expect(one(spans, 'invoke_agent FailingAgent').attributes['langvel.run.outcome']).toBe('error')
    expect(one(spans, 'node prepare').status.code).toBe(SpanStatusCode.UNSET)
  })

  it('records a run refused before it starts (invalid input) as a failed run span', async () => {
    await expect(agents.invoke('/support', { nope: true })).rejects.toBeInstanceOf(E_VALIDATION)
    const run = one(exporter.getFinishedSpans(), 'invoke_agent SupportAgent')
    expect(run.attributes['langvel.error.code']).toBe('E_VALIDATION')
  })

  it('does not count an interrupt as an error, and traces the resume as its own run', async () => {
    const first = await agents.invoke('/approval', { query: 'post' })
    expect(first.interrupts).toHaveLength(1)
    let spans = exporter.getFinishedSpans()
    expect(one(spans, 'invoke_agent ApprovalAgent').attributes['langvel.run.outcome']).toBe('interrupted')
    expect(spans.every((span) => span.status.code !== SpanStatusCode.ERROR)).toBe(true)

    exporter.reset()
    await agents.resume('/approval', first.threadId, true)
    spans = exporter.getFinishedSpans()
    const resumed = one(spans, 'invoke_agent ApprovalAgent')
    expect(resumed.attributes).toMatchObject({ 'langvel.run.mode': 'resume', 'langvel.run.outcome': 'success', 'gen_ai.conversation.id': first.threadId })
    expect(byName(spans, 'node publish')).toHaveLength(1)
  })

  it('keeps a streamed run open until its events are read, with its nodes under it', async () => {
    script.reply('Streamed answer.')
    const events = await agents.stream('/support', { query: 'Hello' }, { modes: ['updates'] })
    expect(exporter.getFinishedSpans().some((span) => span.name.startsWith('invoke_agent'))).toBe(false)
    for await (const _event of events) {
      // read to the end
    }
    const spans = exporter.getFinishedSpans()
    const run = one(spans, 'invoke_agent SupportAgent')
    expect(run.attributes).toMatchObject({ 'langvel.run.mode': 'stream', 'langvel.run.outcome': 'success' })
    expect(parentOf(one(spans, 'node respond'))).toBe(run.spanContext().spanId)
  })

  it('leaves the client-visible metadata of `messages` events as it is with tracing off', async () => {
    const metadataOf = async () => {
      script.reset()
      script.reply('Streamed answer.')
      const metadata: Array<Record<string, unknown>> = []
      for await (const event of await agents.stream('/support', { query: 'Hello' }, { modes: ['messages'], threadId: 'same-thread' })) {
        if (event.event === 'messages') metadata.push((event.data as [unknown, Record<string, unknown>])[1])
      }
      return metadata
    }
    const on = await metadataOf()
    clearActiveTracing(tracing)
    let off: Array<Record<string, unknown>>
    try {
      off = await metadataOf()
    } finally {
      setActiveTracing(tracing)
    }
    expect(on.length).toBeGreaterThan(0)
    expect(on.map((metadata) => metadata.tags)).toEqual(off.map((metadata) => metadata.tags))
    expect(on.map((metadata) => Object.keys(metadata).sort())).toEqual(off.map((metadata) => Object.keys(metadata).sort()))
    expect(JSON.stringify(on)).not.toContain('langvel')
  })

  it('marks nothing on a Langvel tool while tracing is off, and only its metadata while on', () => {
    const adapter = lookupOrder.toLangChain()
    expect(adapter.tags ?? []).toEqual([])
    expect(adapter.metadata).toEqual({ langvel_traced: true })
    clearActiveTracing(tracing)
    try {
      expect(adapter.tags ?? []).toEqual([])
      expect(adapter.metadata).toBeUndefined()
    } finally {
      setActiveTracing(tracing)
    }
  })

  it('continues the trace the caller is in, such as a request span', async () => {
    const request = tracing.startSpan('POST /agents/:path', {}, ROOT_CONTEXT)
    await context.with(trace.setSpan(ROOT_CONTEXT, request), () => agents.invoke('/approval', { query: 'x' }))
    request.end()
    const run = one(exporter.getFinishedSpans(), 'invoke_agent ApprovalAgent')
    expect(run.spanContext().traceId).toBe(request.spanContext().traceId)
    expect(parentOf(run)).toBe(request.spanContext().spanId)
  })

  it('gives a LangChain model or tool used directly in a node its span from what LangChain reports, under the node', async () => {
    const State = defineState({ query: z.string(), result: z.string().optional() })
    const model = new FakeListChatModel({ responses: ['raw answer'] })
    const shout = langchainTool(async ({ text }: { text: string }) => text.toUpperCase(), { name: 'shout', description: 'Shouts', schema: z.object({ text: z.string() }) })
    class RawAgent extends Agent<typeof State> {
      state = State
      build(graph: GraphBuilder<typeof State>) {
        return graph.then(async function direct(state) {
          const answer = await model.invoke(state.query)
          const loud = await shout.invoke({ text: String(answer.content) })
          return { result: loud }
        })
      }
    }
    const router = new Router()
    router.agent('/raw', RawAgent)
    const { output } = await new AgentRunner({ routes: router.routes(), logger: createLogger({ silent: true }) }).invoke('/raw', { query: 'hi' })
    expect(output.result).toBe('RAW ANSWER')
    const spans = exporter.getFinishedSpans()
    const node = one(spans, 'node direct')
    const chat = spans.find((span) => span.attributes['gen_ai.operation.name'] === 'chat') as ReadableSpan
    expect(chat.kind).toBe(SpanKind.CLIENT)
    expect(parentOf(chat)).toBe(node.spanContext().spanId)
    const tool = one(spans, 'execute_tool shout')
    expect(tool.attributes['gen_ai.tool.name']).toBe('shout')
    expect(parentOf(tool)).toBe(node.spanContext().spanId)
  })

  it('names the service and version on the resource', async () => {
    await agents.invoke('/approval', { query: 'x' })
    const run = one(exporter.getFinishedSpans(), 'invoke_agent ApprovalAgent')
    expect(run.resource.attributes).toMatchObject({ 'service.name': 'tracing-test', 'service.version': '1.2.3' })
  })
})

describe('tracing off', () => {
  it('runs agents, tools and models without making any span', async () => {
    exporter.reset()
    script.toolCall('lookup_order', { orderId: 7 }, 'call-1').reply('Order 7 has shipped.')
    const { output } = await runner().invoke('/support', { query: 'Where is order 7?' })
    expect(output.answer).toBe('Order 7 has shipped.')
    expect(exporter.getFinishedSpans()).toEqual([])
  })
})
