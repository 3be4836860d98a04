import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { EchoAgent } from '../../../app/agents/echo_agent'
import { Agent, defineState, type GraphBuilder, type NodeContext, type StateOf } from '../../../framework/agents'
import { AgentRunner, builtInRunMiddleware } from '../../../framework/agents/agent_runner'
import type { AgentRouteInfo } from '../../../framework/contracts/agent_run'
import type { RequestContext } from '../../../framework/contracts/request_context'
import { ExceptionHandler } from '../../../framework/http/exception_handler'
import { createLogger } from '../../../framework/logger'
import { createAgentMcpServer } from '../../../framework/mcp/server/agent_mcp_server'
import { AgentToolCatalog } from '../../../framework/mcp/server/agent_tools'
import { LocalCallHost } from '../../../framework/mcp/server/call_host'
import { agentToolNames, TOOL_NAME_PATTERN } from '../../../framework/mcp/server/tool_names'
import { Router } from '../../../framework/routing/router'
import { waitFor } from '../http/support/wait_for'

const route = (path: string, name?: string): AgentRouteInfo => ({ path, name, agent: 'EchoAgent', middleware: [], checkpointer: 'memory', interrupts: [], tools: [] })

describe('agent tool names', () => {
  it('take the route name, else the path, with characters outside A-Z a-z 0-9 _ - replaced by _', () => {
    const names = agentToolNames([route('/support/ticket'), route('/reports', 'admin.reports'), route('/secure/echo', 'secure-echo')])
    expect(Object.fromEntries(names)).toEqual({ '/support/ticket': 'support_ticket', '/reports': 'admin_reports', '/secure/echo': 'secure-echo' })
  })

  it('give every route sharing a name, or taking "resume", a suffix from its path, whatever the order', () => {
    const routes = [route('/a/b'), route('/x', 'a_b'), route('/resume')]
    const names = agentToolNames(routes)
    expect(names.get('/a/b')).toMatch(/^a_b_[0-9a-f]{8}$/)
    expect(names.get('/x')).toMatch(/^a_b_[0-9a-f]{8}$/)
    expect(names.get('/a/b')).not.toBe(names.get('/x'))
    expect(names.get('/resume')).toMatch(/^resume_[0-9a-f]{8}$/)
    expect(agentToolNames([...routes].reverse())).toEqual(names)
  })

  it('cut a name longer than 64 characters to 64, keeping names apart', () => {
    const long = `/${'segment-'.repeat(6)}a/${'segment-'.repeat(6)}b`
    const other = `/${'segment-'.repeat(6)}a/${'segment-'.repeat(6)}c`
    const names = agentToolNames([route(long), route(other)])
    for (const name of names.values()) expect(name).toMatch(TOOL_NAME_PATTERN)
    expect(new Set(names.values()).size).toBe(2)
  })
})

describe('the agent tool catalog', () => {
  it('has no tools, not even resume, without routes', () => {
    expect(new AgentToolCatalog([]).definitions).toEqual([])
  })

  it('refuses a route whose input has a thread_id field of its own', () => {
    const Threaded = defineState({ thread_id: z.string() })
    class ThreadedAgent extends Agent<typeof Threaded> {
      state = Threaded
      build(graph: GraphBuilder<typeof Threaded>) {
        return graph.then(function keep() {
          return {}
        })
      }
    }
    const runner = new AgentRunner({ routes: [{ path: '/threaded', agent: ThreadedAgent, middleware: [] }], resolveCheckpointer: () => undefined })
    expect(() => new AgentToolCatalog(runner.routes())).toThrow(expect.objectContaining({ code: 'E_RUNTIME', message: expect.stringContaining('thread_id') }))
  })
})

/** Runs until its run is cancelled, and records who it ran for. */
const seen = { started: [] as string[], aborted: [] as string[], principals: [] as Array<string | undefined> }
const SlowState = defineState({ label: z.string() })
class SlowAgent extends Agent<typeof SlowState> {
  state = SlowState

  build(graph: GraphBuilder<typeof SlowState>) {
    return graph.then(this.wait)
  }

  wait(state: StateOf<typeof SlowState>, ctx: NodeContext) {
    seen.started.push(state.label)
    seen.principals.push(ctx.context.principal?.id)
    return new Promise<Partial<StateOf<typeof SlowState>>>((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => {
        seen.aborted.push(state.label)
        reject(ctx.signal.reason)
      })
    })
  }
}

/**
 * The server `langvel mcp:serve` runs (the local host: no request
 * middleware, the operator's context), over the SDK's in-memory transport.
 */
describe('calls from a local client', () => {
  const operator: RequestContext = Object.freeze({ requestId: 'local-1', traceId: 'local-1', principal: Object.freeze({ id: 'operator', type: 'system' as const, permissions: ['*'] }) })
  let client: Client

  beforeAll(async () => {
    const router = new Router()
    router.agent('/echo', EchoAgent).middleware('auth', 'can:never.granted').name('echo')
    router.agent('/slow', SlowAgent).name('slow')
    router.agent('/brief', SlowAgent).name('brief').timeout(0.2)
    const logger = createLogger({ silent: true })
    // A local client is the operator, as for agent:run: request-stage middleware are never even built.
    const notBuilt = (): never => {
      throw new Error('request middleware built for a local call')
    }
    const middleware = builtInRunMiddleware().register('auth', { stage: 'request', create: notBuilt }).register('can', { stage: 'request', create: notBuilt })
    const runner = new AgentRunner({ routes: router.routes(), middleware, resolveCheckpointer: () => undefined, logger })
    const host = new LocalCallHost({ context: () => operator, exceptionHandler: new ExceptionHandler({ logger, debug: false }), logger })
    const server = createAgentMcpServer({ runner, catalog: new AgentToolCatalog(runner.routes()), host, info: { name: 'test', version: '0' } })
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
    await server.connect(serverSide)
    client = new Client({ name: 'local', version: '1' })
    await client.connect(clientSide)
  })

  afterAll(() => client?.close())

  it('runs as the operator, without the request middleware of HTTP', async () => {
    const result = (await client.callTool({ name: 'echo', arguments: { query: 'local' } })) as CallToolResult
    expect(result.structuredContent).toMatchObject({ status: 'completed', output: { response: 'Processed: local' } })
  })

  it('cancels the run when the client cancels the request', async () => {
    const controller = new AbortController()
    const pending = client.callTool({ name: 'slow', arguments: { label: 'cancelled' } }, undefined, { signal: controller.signal })
    pending.catch(() => undefined)
    await waitFor(() => seen.started.includes('cancelled'), 'the run to start')
    expect(seen.principals.at(-1)).toBe('operator')
    controller.abort('changed my mind')
    await waitFor(() => seen.aborted.includes('cancelled'), 'the run to be cancelled')
    await expect(pending).rejects.toThrow()
  })

  it("stops a run at its route's timeout with an isError result", async () => {
    const result = (await client.callTool({ name: 'brief', arguments: { label: 'timed' } })) as CallToolResult
    expect(result.isError).toBe(true)
    expect(result.structuredContent).toMatchObject({ status: 'error', error: { code: 'E_TIMEOUT' } })
    expect(seen.aborted).toContain('timed')
  })
})
