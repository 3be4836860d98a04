import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ToolMessage, type BaseMessage } from '@langchain/core/messages'
import { Registry } from 'prom-client'
import { z } from 'zod'
import { Agent, defineState, reducers, type GraphBuilder, type NodeContext } from '../../../framework/agents'
import { LlmManager, LlmMetrics, OFFLINE_CONFIG, setLlmManagerResolver, toolLoop, type FakeScript } from '../../../framework/llm'
import { mcpTools, setMcpManagerResolver, type McpManager } from '../../../framework/mcp'
import { getMetrics } from '../../../framework/observability'
import { WRAPPED_SERVER, closeManagers, harness, killTagged, metricValue, pidOf, recordedRequests, stdioServer, waitFor, type Harness } from './support/fixture'

/*
 * MCP tools in a real Langvel agent: `tools = [mcpTools('fx', ...)]` and a
 * toolLoop over them, driven by the scripted fake model, on the fixture
 * server as a child process; and `this.mcp` inside a node.
 */

const ChatState = defineState({ messages: reducers.messages() })

/** The agent of the docs: two tools of the server, the loop over them. */
class CalculatorAgent extends Agent<typeof ChatState> {
  state = ChatState
  tools = [mcpTools('fx', { only: ['echo', 'add'] })]

  build(graph: GraphBuilder<typeof ChatState>) {
    return graph.then(toolLoop({ tools: this.tools }))
  }
}

/** Tools that fail on the server, or never answer. */
class FlakyAgent extends Agent<typeof ChatState> {
  state = ChatState
  tools = [mcpTools('fx', { only: ['fail', 'slow'], prefix: true })]

  build(graph: GraphBuilder<typeof ChatState>) {
    return graph.then(toolLoop({ tools: this.tools }))
  }
}

/** add waits for a person's approval; echo does not. */
class GuardedAgent extends Agent<typeof ChatState> {
  state = ChatState
  tools = [mcpTools('fx', { only: ['echo', 'add'], requiresApproval: ['add'] })]

  build(graph: GraphBuilder<typeof ChatState>) {
    return graph.then(toolLoop({ tools: this.tools }))
  }
}

const SumState = defineState({ a: z.number(), b: z.number(), sum: z.number().optional(), readme: z.string().optional() })

/** Calls the server directly from a node. */
class SumAgent extends Agent<typeof SumState> {
  state = SumState

  build(graph: GraphBuilder<typeof SumState>) {
    return graph.then(this.compute)
  }

  async compute(state: z.infer<typeof SumState.schema>, ctx: NodeContext) {
    const result = await this.mcp.call('fx', 'add', { a: state.a, b: state.b }, { signal: ctx.signal })
    const readme = await this.mcp.resource('fx', 'notes://readme', { signal: ctx.signal })
    const [first] = readme.contents
    return { sum: result.structuredContent?.sum as number, readme: 'text' in first ? String(first.text) : '' }
  }
}

let scratch: string
let record: string
let tag: string
let mcp: Harness
let script: FakeScript
let llm: LlmManager

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'langvel-mcp-agent-'))
  record = join(scratch, 'stdin.jsonl')
  const config = stdioServer('fx', { script: WRAPPED_SERVER, env: { MCP_RECORD_FILE: record } })
  tag = config.tag
  mcp = harness([config])
  const manager: McpManager = mcp.manager
  setMcpManagerResolver(() => manager)
  llm = new LlmManager({ config: OFFLINE_CONFIG, metrics: new LlmMetrics(new Registry()), retry: { baseDelayMs: 1, maxDelayMs: 10 } })
  setLlmManagerResolver(() => llm)
})

beforeEach(() => {
  script = llm.fake()
})

afterAll(async () => {
  setMcpManagerResolver(undefined)
  setLlmManagerResolver(undefined)
  await closeManagers()
  killTagged(tag)
  rmSync(scratch, { recursive: true, force: true })
})

const toolMessages = (messages: BaseMessage[]) => messages.filter((message): message is ToolMessage => message instanceof ToolMessage)

async function toolExecutions(tool: string, outcome: string): Promise<number> {
  return metricValue(getMetrics().registry, 'langvel_tool_executions_total', { tool, outcome })
}

describe('an agent with MCP tools', () => {
  it('the model calls add: the ToolMessage holds the structured result, and the tool metrics count it', async () => {
    script.toolCall('add', { a: 2, b: 3 }, 'call-1').reply('The sum is 5.')
    const before = await toolExecutions('add', 'success')
    const agent = new CalculatorAgent()

    const { output } = await agent.invoke({ messages: [{ role: 'user', content: 'What is 2 + 3?' }] })

    expect(output.messages.map((message: BaseMessage) => message.type)).toEqual(['human', 'ai', 'tool', 'ai'])
    const [result] = toolMessages(output.messages)
    expect(result).toMatchObject({ tool_call_id: 'call-1', name: 'add' })
    expect(result.status).not.toBe('error')
    expect(JSON.parse(result.text)).toEqual({ sum: 5 })
    expect(output.messages.at(-1)?.text).toBe('The sum is 5.')
    // The model was shown exactly the chosen tools, with the server's schemas.
    expect(script.calls[0].tools.map((tool) => tool.name)).toEqual(['echo', 'add'])
    expect(script.calls[0].tools[1].parameters).toMatchObject({ properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] })
    expect(agent.describe().tools).toEqual(['mcp:fx'])
    expect((await toolExecutions('add', 'success')) - before).toBe(1)
    expect(await metricValue(mcp.registry, 'langvel_mcp_calls_total', { server: 'fx', tool: 'add', outcome: 'success' })).toBeGreaterThanOrEqual(1)
  })

  it('runs each call as a step of its own, and holds a tool that requires approval until the run is resumed', async () => {
    script.reply({ toolCalls: [{ name: 'echo', args: { text: 'hi' }, id: 'e' }, { name: 'add', args: { a: 2, b: 3 }, id: 'a' }] }).reply('Done.')
    const addsBefore = await toolExecutions('add', 'success')
    const echoesBefore = await toolExecutions('echo', 'success')
    const agent = new GuardedAgent()

    const first = await agent.invoke({ messages: [{ role: 'user', content: 'echo and add' }] })

    expect(agent.interrupts).toEqual(['tool_loop_tools'])
    expect(first.interrupts).toEqual([{ id: expect.any(String), node: 'tool_loop_tools', value: expect.objectContaining({ type: 'tool_approval', tool: 'add', callId: 'a', args: { a: 2, b: 3 } }) }])
    expect((await toolExecutions('echo', 'success')) - echoesBefore).toBe(1)
    expect((await toolExecutions('add', 'success')) - addsBefore).toBe(0)
    const bad = await agent.resume(first.threadId, { approve: true, args: { a: 'two', b: 3 } }).catch((error: unknown) => error)
    expect(bad).toMatchObject({ code: 'E_TOOL_INPUT' })

    const done = await agent.resume(first.threadId, { approve: true, args: { a: 4, b: 5 } })

    expect(toolMessages(done.output.messages).map((message) => [message.tool_call_id, message.text])).toEqual([
      ['e', expect.stringContaining('hi')],
      ['a', 'Run with arguments edited by the reviewer: {"a":4,"b":5}\n{"sum":9}'],
    ])
    expect((await toolExecutions('echo', 'success')) - echoesBefore).toBe(1)
    expect((await toolExecutions('add', 'success')) - addsBefore).toBe(1)
  })

  it('bad arguments go back to the model as an error ToolMessage (E_TOOL_INPUT), and nothing reaches the server', async () => {
    script.toolCall('add', { a: 'two', b: 3 }, 'bad').reply('Let me fix that.')
    const before = await toolExecutions('add', 'failure')

    const { output } = await new CalculatorAgent().invoke({ messages: [{ role: 'user', content: 'two plus three' }] })

    const [result] = toolMessages(output.messages)
    expect(result).toMatchObject({ tool_call_id: 'bad', status: 'error' })
    expect(result.text).toMatch(/^Error: E_TOOL_INPUT: .*a: must be number/)
    expect(script.calls[1].messages.at(-1)).toBeInstanceOf(ToolMessage)
    expect(recordedRequests(record).filter((request) => request.method === 'tools/call' && (request.params?.arguments as { a?: unknown })?.a === 'two')).toEqual([])
    expect((await toolExecutions('add', 'failure')) - before).toBe(1)
  })

  it('a tool error of the server and a tool outside `only` go back to the model as errors; the run goes on', async () => {
    script.reply({ toolCalls: [{ name: 'fx__fail', args: {}, id: 'f' }, { name: 'crash', args: {}, id: 'c' }] }).reply('Both failed.')
    const pid = pidOf(tag)

    const { output } = await new FlakyAgent().invoke({ messages: [{ role: 'user', content: 'try' }] })

    const results = toolMessages(output.messages)
    expect(results.map((message) => [message.tool_call_id, message.status])).toEqual([
      ['f', 'error'],
      ['c', 'error'],
    ])
    // The tool layer wraps the server's E_MCP_TOOL_ERROR; the model reads the server's words.
    expect(results[0].text).toBe('Error: E_TOOL_FAILED: Tool "fx__fail" failed: Tool "fail" of MCP server "fx" reported an error: something went wrong')
    expect(results[1].text).toMatch(/^Error: E_TOOL_NOT_FOUND/)
    expect(output.messages.at(-1)?.text).toBe('Both failed.')
    // crash was never sent: the same server process still runs.
    expect(pidOf(tag)).toBe(pid)
  })

  it('a cancelled run cancels the MCP call in flight, and the server is told', async () => {
    const before = Number((await mcp.manager.call('fx', 'cancelled_count')).text)
    script.toolCall('fx__slow', { ms: 20_000 }, 's')
    const abort = new AbortController()
    const run = new FlakyAgent().invoke({ messages: [{ role: 'user', content: 'wait' }] }, { signal: abort.signal })
    await waitFor(() => recordedRequests(record).some((request) => request.params?.name === 'slow'), 'the slow call on the server')
    const aborted = Date.now()

    abort.abort('the client went away')

    await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' })
    expect(Date.now() - aborted).toBeLessThan(1000)
    let after = before
    for (const deadline = Date.now() + 3000; after === before && Date.now() < deadline; ) {
      await new Promise((done) => setTimeout(done, 20))
      after = Number((await mcp.manager.call('fx', 'cancelled_count')).text)
    }
    expect(after).toBe(before + 1)
  })

  it('this.mcp.call() and this.mcp.resource() work inside a node', async () => {
    const { output } = await new SumAgent().invoke({ a: 19, b: 23 })

    expect(output).toMatchObject({ sum: 42, readme: 'Fixture readme' })
  })

  it('names a tool of `only` the server does not have when the tools load', async () => {
    class TypoAgent extends Agent<typeof ChatState> {
      state = ChatState
      tools = [mcpTools('fx', { only: ['ech0'] })]
      build(graph: GraphBuilder<typeof ChatState>) {
        return graph.then(toolLoop({ tools: this.tools }))
      }
    }
    script.reply('unused')

    await expect(new TypoAgent().invoke({ messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ code: 'E_TOOL_NOT_FOUND', message: expect.stringContaining('ech0') })
  })
})
