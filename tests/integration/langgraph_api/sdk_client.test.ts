import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeListChatModel } from '@langchain/core/utils/testing'
import { Client, type Assistant, type AssistantGraph, type GraphSchema, type Thread, type ThreadState } from '@langchain/langgraph-sdk'
import { ApprovalAgent } from '../../../app/agents/approval_agent'
import { EchoAgent } from '../../../app/agents/echo_agent'
import { Agent, defineState, reducers, type GraphBuilder, type NodeContext, type StateOf } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { Application } from '../../../framework/foundation/application'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { Router } from '../../../framework/routing/router'
import { waitFor } from '../http/support/wait_for'
import { bootMigratedApp, gates, SlowAgent, SlowState } from './support/protocol_app'
import { refusal } from './support/refusal'

const Chat = defineState({ messages: reducers.messages() })
const model = new FakeListChatModel({ responses: ['hello from the model'] })

/** A messages agent: one model call on the conversation, with a `custom` progress event. */
class ChatAgent extends Agent<typeof Chat> {
  state = Chat

  build(graph: GraphBuilder<typeof Chat>) {
    return graph.then(this.answer)
  }

  async answer(state: StateOf<typeof Chat>, ctx: NodeContext) {
    ctx.writer({ progress: 'answering' })
    return { messages: [await model.invoke(state.messages, ctx.config)] }
  }
}

/** A messages agent that stops for a person after its model call. */
class ChatApprovalAgent extends Agent<typeof Chat> {
  state = Chat

  build(graph: GraphBuilder<typeof Chat>) {
    return graph.then(this.answer).interrupt({ name: 'confirm', payload: () => 'send it?' })
  }

  async answer(state: StateOf<typeof Chat>, ctx: NodeContext) {
    return { messages: [await new FakeListChatModel({ responses: ['hello from the model'] }).invoke(state.messages, ctx.config)] }
  }
}

/** Held by the `linger` run middleware: work that goes on after its run was stopped (it ignores the abort). */
const lingers: Array<() => void> = []

/** Fails in its only node. */
class FailingAgent extends Agent<typeof SlowState> {
  state = SlowState

  build(graph: GraphBuilder<typeof SlowState>) {
    return graph.then(this.fail)
  }

  fail(): Partial<StateOf<typeof SlowState>> {
    throw new Error('the node broke')
  }
}

/**
 * `langvel serve` speaking the LangGraph Platform protocol, driven by the
 * official client (`@langchain/langgraph-sdk`) over a real socket: the
 * example's echo and approval agents, a messages agent on a fake model, a
 * run that holds its thread, and a route behind `auth`.
 */
describe('the LangGraph API through @langchain/langgraph-sdk', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-lgapi-'))
  let app: Application
  let server: HttpServer
  let url: string
  let client: Client
  const bearer = (subject: string, permissions: string[] = []) => `Bearer ${app.make('auth').tokens.issue(subject, { permissions }).token}`
  const clientWith = (options: { apiKey?: string; headers?: Record<string, string> } = {}) =>
    new Client({ apiUrl: url, apiKey: options.apiKey ?? null, defaultHeaders: options.headers, callerOptions: { maxRetries: 0 } })

  beforeAll(async () => {
    app = await bootMigratedApp(base)
    app.make('middleware').register('linger', {
      stage: 'run',
      create: () => ({
        name: 'linger',
        async handle(_ctx: unknown, next: () => Promise<unknown>) {
          try {
            return await next()
          } finally {
            await new Promise<void>((resolve) => lingers.push(resolve))
          }
        },
      }) as never,
    })
    const router = new Router()
    router.agent('/echo', EchoAgent).name('echo').description('Echoes the query')
    router.agent('/lingering', SlowAgent).middleware('linger').name('lingering')
    router.agent('/approval', ApprovalAgent).name('approval')
    router.agent('/chat', ChatAgent).name('chat')
    router.agent('/chat-approval', ChatApprovalAgent).name('chat-approval')
    router.agent('/slow', SlowAgent).name('slow')
    router.agent('/fail', FailingAgent).name('fail')
    router.group({ prefix: '/secure', middleware: ['auth'] }, () => {
      router.agent('/echo', EchoAgent).name('secure-echo')
    })
    const checkpointers = app.make('checkpointer')
    const runner = new AgentRunner({ routes: router.routes(), middleware: app.make('middleware'), resolveCheckpointer: (name) => checkpointers.use(name), logger: app.logger })
    server = createServer({ app, runner, langgraphApi: { enabled: true, middleware: [] } })
    url = (await server.listen(0, '127.0.0.1')).url
    client = clientWith()
  })

  afterAll(async () => {
    for (const release of [...gates, ...lingers]) release()
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  describe('meta and assistants', () => {
    it('answers /ok and /info', async () => {
      expect(await (await fetch(`${url}/ok`)).json()).toEqual({ ok: true })
      const info = (await (await fetch(`${url}/info`)).json()) as { langgraph_js_version: string }
      expect(info).toMatchObject({ context: 'js', flags: { assistants: true, crons: false } })
      expect(info.langgraph_js_version).toMatch(/^\d+\.\d+\.\d+/)
    })

    it('lists each agent route as an assistant whose id and graph id are the route name', async () => {
      const assistants: Assistant[] = await client.assistants.search({ limit: 100 })
      expect(assistants.map((assistant) => assistant.assistant_id).sort()).toEqual(['approval', 'chat', 'chat-approval', 'echo', 'fail', 'lingering', 'secure-echo', 'slow'])
      const echo = assistants.find((assistant) => assistant.assistant_id === 'echo') as Assistant
      expect(echo).toMatchObject({ graph_id: 'echo', name: 'echo', description: 'Echoes the query', version: 1, config: {} })
      expect(await client.assistants.search({ graphId: 'approval' })).toHaveLength(1)
      expect(await client.assistants.count()).toBe(assistants.length)
      expect(await client.assistants.count({ graphId: 'approval' })).toBe(1)
      const page = await client.assistants.search({ limit: 2, offset: 1, includePagination: true })
      expect(page.assistants).toHaveLength(2)
      expect(page.next).toBe('3')
    })

    it('finds an assistant by name and by the UUID LangGraph derives from the graph id', async () => {
      const byName: Assistant = await client.assistants.get('echo')
      // uuid5('echo', LangGraph's graph namespace), as the reference server computes it.
      const byUuid: Assistant = await client.assistants.get('046b5dc7-2108-582c-9c6c-31d556d138f0')
      expect(byUuid).toEqual(byName)
      expect(await refusal(client.assistants.get('nope'))).toMatchObject({ status: 404 })
    })

    it('draws the graph as nodes and edges, with and without xray', async () => {
      const graph: AssistantGraph = await client.assistants.getGraph('echo')
      const ids = graph.nodes.map((node) => String(node.id))
      expect(ids).toEqual(expect.arrayContaining(['__start__', 'process', 'respond', '__end__']))
      expect(graph.edges).toEqual(expect.arrayContaining([expect.objectContaining({ source: 'process', target: 'respond' })]))
      const xray: AssistantGraph = await client.assistants.getGraph('echo', { xray: true })
      expect(xray.nodes.length).toBeGreaterThanOrEqual(graph.nodes.length)
    })

    it('gives the JSON Schemas of input and state from the zod state', async () => {
      const schemas: GraphSchema = await client.assistants.getSchemas('echo')
      expect(schemas.graph_id).toBe('echo')
      expect(schemas.input_schema).toMatchObject({ type: 'object', properties: { query: { type: 'string' } }, required: ['query'] })
      expect(schemas.state_schema).toMatchObject({ type: 'object', properties: { response: { type: 'string' } } })
      expect(await client.assistants.getSubgraphs('echo')).toEqual({})
    })
  })

  describe('threads', () => {
    it('creates, reads, updates, searches and deletes threads', async () => {
      const ann = clientWith({ headers: { authorization: bearer('ann') } })
      const thread: Thread = await ann.threads.create({ metadata: { user: 'ann', topic: 'test-crud' } })
      expect(thread).toMatchObject({ status: 'idle', metadata: { user: 'ann', topic: 'test-crud' }, values: {} })
      expect(new Date(thread.created_at).getTime()).toBeGreaterThan(0)
      expect((await ann.threads.get(thread.thread_id)).thread_id).toBe(thread.thread_id)

      const updated: Thread = await ann.threads.update(thread.thread_id, { metadata: { stage: 'two' } })
      expect(updated.metadata).toEqual({ user: 'ann', topic: 'test-crud', stage: 'two' })

      const found: Thread[] = await ann.threads.search({ metadata: { topic: 'test-crud', stage: 'two' } })
      expect(found.map((item) => item.thread_id)).toEqual([thread.thread_id])
      expect(await ann.threads.search({ metadata: { topic: 'test-crud' }, status: 'busy' })).toEqual([])

      await ann.threads.delete(thread.thread_id)
      expect(await refusal(ann.threads.get(thread.thread_id))).toMatchObject({ status: 404 })
    })

    it('refuses an existing thread id with 409, or returns it with if_exists do_nothing', async () => {
      const thread = await client.threads.create({ threadId: `t-${Date.now()}`, metadata: { n: 1 } })
      expect(await refusal(client.threads.create({ threadId: thread.thread_id }))).toMatchObject({ status: 409 })
      const again = await client.threads.create({ threadId: thread.thread_id, ifExists: 'do_nothing', metadata: { n: 2 } })
      expect(again.metadata).toEqual({ n: 1 })
    })

    it('pages a search with limit and offset', async () => {
      const pat = clientWith({ headers: { authorization: bearer('pat') } })
      const topic = `paging-${Date.now()}`
      for (let i = 0; i < 3; i++) await pat.threads.create({ metadata: { topic } })
      const first = await pat.threads.search({ metadata: { topic }, limit: 2 })
      const second = await pat.threads.search({ metadata: { topic }, limit: 2, offset: 2 })
      expect(first).toHaveLength(2)
      expect(second).toHaveLength(1)
      expect(new Set([...first, ...second].map((thread) => thread.thread_id)).size).toBe(3)
      expect(await pat.threads.count({ metadata: { topic } })).toBe(3)
      expect(await pat.threads.count({ metadata: { topic }, status: 'busy' })).toBe(0)
    })

    it('refuses a bad body with 422 and no stack', async () => {
      const res = await fetch(`${url}/threads/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ limit: 'ten' }) })
      expect(res.status).toBe(422)
      const body = (await res.json()) as { error: { code: string } }
      expect(body.error.code).toBe('E_VALIDATION')
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/)
    })
  })

  describe('runs on a thread', () => {
    it('waits for a run, then reads the state, its history, and updates it as a node', async () => {
      const thread = await client.threads.create({ graphId: 'echo' })
      expect(thread.metadata).toMatchObject({ graph_id: 'echo', assistant_id: 'echo' })
      const values = (await client.runs.wait(thread.thread_id, 'echo', { input: { query: 'hi' } })) as Record<string, unknown>
      expect(values).toEqual({ query: 'hi', processed: 'hi', response: 'Processed: hi' })

      const stored: Thread = await client.threads.get(thread.thread_id)
      expect(stored.status).toBe('idle')
      expect(stored.values).toMatchObject({ response: 'Processed: hi' })

      const state: ThreadState = await client.threads.getState(thread.thread_id)
      expect(state.values).toMatchObject({ response: 'Processed: hi' })
      expect(state.next).toEqual([])
      expect(state.checkpoint).toMatchObject({ thread_id: thread.thread_id, checkpoint_ns: '' })
      expect(state.checkpoint.checkpoint_id).toEqual(expect.any(String))
      expect(state.parent_checkpoint?.checkpoint_id).toEqual(expect.any(String))

      const history: ThreadState[] = await client.threads.getHistory(thread.thread_id, { limit: 2 })
      expect(history).toHaveLength(2)
      expect(history[0].checkpoint.checkpoint_id).toBe(state.checkpoint.checkpoint_id)
      const older: ThreadState = await client.threads.getState(thread.thread_id, history[1].checkpoint.checkpoint_id as string)
      expect(older.checkpoint.checkpoint_id).toBe(history[1].checkpoint.checkpoint_id)
      const before = await client.threads.getHistory(thread.thread_id, { before: { checkpoint_id: state.checkpoint.checkpoint_id } as never, limit: 1 })
      expect(before[0].checkpoint.checkpoint_id).toBe(history[1].checkpoint.checkpoint_id)

      const update = await client.threads.updateState(thread.thread_id, { values: { response: 'edited' }, asNode: 'respond' })
      expect(update.configurable?.checkpoint_id).toEqual(expect.any(String))
      expect((await client.threads.getState(thread.thread_id)).values).toMatchObject({ response: 'edited' })
      expect(await refusal(client.threads.updateState(thread.thread_id, { values: { response: 42 } }))).toMatchObject({ status: 422 })

      // A run may name the latest checkpoint (as useStream does when it shows the thread's head); an earlier one would fork it.
      const head = (await client.threads.getState(thread.thread_id)).checkpoint
      const again = await client.runs.wait(thread.thread_id, 'echo', { input: { query: 'again' }, checkpoint: { checkpoint_id: head.checkpoint_id, checkpoint_ns: '', checkpoint_map: head.checkpoint_map } })
      expect(again).toMatchObject({ response: 'Processed: again' })
      expect(await refusal(client.runs.wait(thread.thread_id, 'echo', { input: { query: 'fork' }, checkpointId: history[1].checkpoint.checkpoint_id as string }))).toMatchObject({ status: 422 })
    })

    it('answers an unknown as_node with 422 and a checkpoint the thread does not have with 404', async () => {
      const thread = await client.threads.create({ graphId: 'echo' })
      await client.runs.wait(thread.thread_id, 'echo', { input: { query: 'n' } })
      const unknown = await refusal(client.threads.updateState(thread.thread_id, { values: { response: 'x' }, asNode: 'no-such-node' }))
      expect(unknown.status).toBe(422)
      expect(unknown.text).toContain('no-such-node')
      expect((await client.threads.get(thread.thread_id)).status).toBe('idle')
      expect(await refusal(client.threads.getState(thread.thread_id, '1f0aaaaa-0000-6000-8000-000000000000'))).toMatchObject({ status: 404 })
      expect(await refusal(client.threads.getState(thread.thread_id, 'bogus'))).toMatchObject({ status: 404 })
    })

    it('streams values, updates and custom events in the protocol frames, metadata first', async () => {
      const thread = await client.threads.create()
      let created: { run_id: string; thread_id?: string } | undefined
      const parts: Array<{ event: string; data: unknown }> = []
      for await (const part of client.runs.stream(thread.thread_id, 'chat', {
        input: { messages: [{ role: 'user', content: 'hello' }] },
        streamMode: ['values', 'updates', 'custom', 'messages-tuple'],
        onRunCreated: (meta) => (created = meta),
      })) {
        parts.push(part as { event: string; data: unknown })
      }
      expect(parts[0]).toMatchObject({ event: 'metadata', data: { run_id: created?.run_id, attempt: 1 } })
      expect(created?.thread_id).toBe(thread.thread_id)
      const events = parts.map((part) => part.event)
      expect(events).toEqual(expect.arrayContaining(['values', 'updates', 'custom', 'messages']))
      expect(parts.find((part) => part.event === 'custom')?.data).toEqual({ progress: 'answering' })
      expect(parts.find((part) => part.event === 'updates')?.data).toMatchObject({ answer: { messages: [expect.objectContaining({ type: 'ai', content: 'hello from the model' })] } })
      const tuple = parts.find((part) => part.event === 'messages')?.data as [Record<string, unknown>, Record<string, unknown>]
      expect(tuple[0]).toMatchObject({ type: 'ai', content: expect.any(String), id: expect.any(String), response_metadata: expect.any(Object) })
      expect(tuple[1]).toMatchObject({ langgraph_node: 'answer' })
      const last = parts.filter((part) => part.event === 'values').at(-1)?.data as { messages: Array<{ type: string; content: string }> }
      expect(last.messages.map((message) => message.type)).toEqual(['human', 'ai'])
      expect((await client.threads.get(thread.thread_id)).status).toBe('idle')
    })

    it('streams the messages mode: metadata once per message, partial messages token by token, then the complete message', async () => {
      const thread = await client.threads.create()
      const parts: Array<{ event: string; data: unknown }> = []
      for await (const part of client.runs.stream(thread.thread_id, 'chat', { input: { messages: [{ role: 'user', content: 'hello' }] }, streamMode: 'messages' })) {
        parts.push(part as { event: string; data: unknown })
      }
      const events = parts.map((part) => part.event)
      expect(events[0]).toBe('metadata')
      // The input message is complete from the start, as LangGraph's server sends it from the state.
      expect(parts[1]).toMatchObject({ event: 'messages/complete', data: [{ type: 'human', content: 'hello', id: expect.any(String) }] })
      expect(events[2]).toBe('messages/metadata')
      expect(events.filter((event) => event === 'messages/metadata')).toHaveLength(1)
      expect(events.filter((event) => event === 'messages/complete')).toHaveLength(2)
      expect(events.at(-1)).toBe('messages/complete')
      expect(events).not.toContain('updates')
      expect(events).not.toContain('values')
      const partials = parts.filter((part) => part.event === 'messages/partial').map((part) => (part.data as Array<{ content: string }>)[0].content)
      expect(partials.length).toBeGreaterThan(1)
      expect(partials.at(-1)).toBe('hello from the model')
      expect(partials.every((content) => 'hello from the model'.startsWith(content))).toBe(true)
      const [id] = Object.keys(parts[2].data as Record<string, unknown>)
      expect((parts[2].data as Record<string, { metadata: Record<string, unknown> }>)[id].metadata).toMatchObject({ langgraph_node: 'answer' })
      const [complete] = parts.at(-1)?.data as Array<Record<string, unknown>>
      expect(complete).toMatchObject({ type: 'ai', content: 'hello from the model', id })
    })

    it('refuses a stream mode it does not serve with 422 naming the ones it does', async () => {
      const thread = await client.threads.create()
      const refused = await refusal(
        (async () => {
          for await (const part of client.runs.stream(thread.thread_id, 'echo', { input: { query: 'x' }, streamMode: ['events'] })) void part
        })(),
      )
      expect(refused.status).toBe(422)
      expect(refused.text).toContain('values, updates, messages-tuple, messages, custom')
    })

    it('stops at an interrupt (__interrupt__ in the values, the tasks and the thread), then resumes with command', async () => {
      const thread = await client.threads.create()
      const stopped = (await client.runs.wait(thread.thread_id, 'approval', { input: { request: 'Buy a laptop' } })) as Record<string, unknown>
      expect(stopped.__interrupt__).toEqual([{ id: expect.any(String), value: { summary: 'Approval requested: Buy a laptop', request: 'Buy a laptop' } }])

      const waiting: Thread = await client.threads.get(thread.thread_id)
      expect(waiting.status).toBe('interrupted')
      expect(Object.values(waiting.interrupts).flat()).toHaveLength(1)
      const state: ThreadState = await client.threads.getState(thread.thread_id)
      expect(state.next).toEqual(['approval'])
      expect(state.tasks[0]).toMatchObject({ name: 'approval', interrupts: [{ value: { request: 'Buy a laptop' } }] })

      expect(await refusal(client.runs.wait(thread.thread_id, 'approval', { command: { resume: { approved: 'yes' } } }))).toMatchObject({ status: 422 })
      const done = (await client.runs.wait(thread.thread_id, 'approval', { command: { resume: { approved: true } } })) as Record<string, unknown>
      expect(done).toMatchObject({ status: 'approved', decision: { approved: true } })
      expect(done.__interrupt__).toBeUndefined()
      expect((await client.threads.get(thread.thread_id)).status).toBe('idle')
    })

    it('streams an interrupt of a messages agent with its messages as plain objects', async () => {
      const thread = await client.threads.create()
      const parts: Array<{ event: string; data: any }> = []
      for await (const part of client.runs.stream(thread.thread_id, 'chat-approval', { input: { messages: [{ role: 'user', content: 'hi' }] } })) parts.push(part)
      const last = parts.at(-1)
      expect(last?.event).toBe('values')
      expect(last?.data.messages).toEqual([expect.objectContaining({ type: 'human', content: 'hi' }), expect.objectContaining({ type: 'ai', content: 'hello from the model' })])
      expect(last?.data.__interrupt__).toEqual([{ id: expect.any(String), value: 'send it?' }])
    })

    it('streams an interrupt as __interrupt__ in values and updates, and a streamed resume', async () => {
      const thread = await client.threads.create()
      const parts: Array<{ event: string; data: any }> = []
      for await (const part of client.runs.stream(thread.thread_id, 'approval', { input: { request: 'Paint' }, streamMode: ['values', 'updates'] })) parts.push(part)
      expect(parts.filter((part) => part.event === 'values').at(-1)?.data).toMatchObject({ request: 'Paint', __interrupt__: [{ value: { request: 'Paint' } }] })
      expect(parts.filter((part) => part.event === 'updates').at(-1)?.data).toMatchObject({ __interrupt__: [expect.objectContaining({ id: expect.any(String) })] })
      const resumed: Array<{ event: string; data: any }> = []
      // What UIs built on the SDK may send: accepted, events still from the agent's graph as a whole.
      const options = { command: { resume: { approved: false } }, streamSubgraphs: true, streamResumable: true, onDisconnect: 'continue' as const }
      for await (const part of client.runs.stream(thread.thread_id, 'approval', options)) resumed.push(part)
      expect(resumed.at(-1)).toMatchObject({ event: 'values', data: { status: 'rejected' } })
    })

    it('keeps a thread to its first assistant, and 404s an unknown thread unless if_not_exists is create', async () => {
      const thread = await client.threads.create()
      await client.runs.wait(thread.thread_id, 'echo', { input: { query: 'a' } })
      expect(await refusal(client.runs.wait(thread.thread_id, 'approval', { input: { request: 'b' } }))).toMatchObject({ status: 422 })
      const id = `new-${Date.now()}`
      expect(await refusal(client.runs.wait(id, 'echo', { input: { query: 'c' } }))).toMatchObject({ status: 404 })
      expect(await client.runs.wait(id, 'echo', { input: { query: 'c' }, ifNotExists: 'create' })).toMatchObject({ response: 'Processed: c' })
      expect((await client.threads.get(id)).metadata).toMatchObject({ graph_id: 'echo' })
    })

    it('rejects a second run on a busy thread (multitask_strategy reject) with 422', async () => {
      const thread = await client.threads.create()
      const first = client.runs.wait(thread.thread_id, 'slow', { input: { label: 'one' } })
      await waitFor(() => gates.length > 0, 'the slow run to start')
      expect((await client.threads.get(thread.thread_id)).status).toBe('busy')
      const busy = await refusal(client.runs.wait(thread.thread_id, 'slow', { input: { label: 'two' }, multitaskStrategy: 'reject' }))
      expect(busy.status).toBe(422)
      expect(busy.text).toContain('E_THREAD_BUSY')
      gates.shift()?.()
      expect(await first).toEqual({ label: 'one done' })
      expect((await client.threads.get(thread.thread_id)).status).toBe('idle')
    })
  })

  describe('stopped runs', () => {
    it('keeps the thread busy until a cancelled run has really ended, so no second run starts beside it', async () => {
      const thread = await client.threads.create()
      const controller = new AbortController()
      const first = client.runs.wait(thread.thread_id, 'lingering', { input: { label: 'one' }, signal: controller.signal }).catch(() => 'cancelled')
      await waitFor(() => gates.length === 1, 'the run to start')
      controller.abort()
      expect(await first).toBe('cancelled')
      await waitFor(() => lingers.length === 1, 'the stopped run to linger')
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect((await client.threads.get(thread.thread_id)).status).toBe('busy')
      expect(await refusal(client.runs.wait(thread.thread_id, 'lingering', { input: { label: 'two' } }))).toMatchObject({ status: 422 })
      gates.shift()?.()
      lingers.shift()?.()
      let status = 'busy'
      for (let i = 0; i < 100 && status === 'busy'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        status = (await client.threads.get(thread.thread_id)).status
      }
      expect(status).not.toBe('busy')
      const second = client.runs.wait(thread.thread_id, 'lingering', { input: { label: 'two' } })
      await waitFor(() => gates.length === 1, 'the second run to start')
      gates.shift()?.()
      await waitFor(() => lingers.length === 1, 'the second run to linger')
      lingers.shift()?.()
      expect(await second).toMatchObject({ label: 'two done' })
    })
  })

  describe('enqueued runs', () => {
    it('starts runs on a busy thread one after another, in the order they came (multitask_strategy enqueue)', async () => {
      const thread = await client.threads.create()
      const first = client.runs.wait(thread.thread_id, 'slow', { input: { label: 'one' } })
      await waitFor(() => gates.length === 1, 'the first run to start')
      const second = client.runs.wait(thread.thread_id, 'slow', { input: { label: 'two' }, multitaskStrategy: 'enqueue' })
      const third = client.runs.stream(thread.thread_id, 'slow', { input: { label: 'three' }, multitaskStrategy: 'enqueue', streamMode: 'values' })
      const streamed = (async () => {
        const parts: Array<{ event: string; data: any }> = []
        for await (const part of third) parts.push(part)
        return parts
      })()
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(gates).toHaveLength(1)
      gates.shift()?.()
      expect(await first).toEqual({ label: 'one done' })
      await waitFor(() => gates.length === 1, 'the second run to start')
      gates.shift()?.()
      expect(await second).toEqual({ label: 'two done' })
      await waitFor(() => gates.length === 1, 'the third run to start')
      gates.shift()?.()
      expect((await streamed).at(-1)).toMatchObject({ event: 'values', data: { label: 'three done' } })
      expect((await client.threads.get(thread.thread_id)).status).toBe('idle')
    })
  })

  describe('failing runs', () => {
    it('answers a run that failed once started with __error__ (the SDK raises it), and marks the thread error', async () => {
      const thread = await client.threads.create()
      await expect(client.runs.wait(thread.thread_id, 'fail', { input: { label: 'x' } })).rejects.toThrow(/^E_RUNTIME: /)
      const failed: Thread = await client.threads.get(thread.thread_id)
      expect(failed.status).toBe('error')
      expect(String(failed.error)).toMatch(/^E_RUNTIME/)
      expect(JSON.stringify(failed)).not.toContain('the node broke')
    })

    it('streams the failure as an error event after metadata, and closes the stream', async () => {
      const thread = await client.threads.create()
      const parts: Array<{ event: string; data: any }> = []
      for await (const part of client.runs.stream(thread.thread_id, 'fail', { input: { label: 'x' }, streamMode: 'updates' })) parts.push(part)
      expect(parts.map((part) => part.event)).toEqual(['metadata', 'error'])
      expect(parts[1].data).toEqual({ error: 'E_RUNTIME', message: expect.any(String) })
      expect((await client.threads.get(thread.thread_id)).status).toBe('error')
      expect(await client.runs.wait(thread.thread_id, 'echo', { input: { query: 'x' } }).catch((error: { status?: number }) => error.status)).toBe(422)
    })

    it('keeps a refused run (invalid input) from changing the thread', async () => {
      const thread = await client.threads.create()
      await client.runs.wait(thread.thread_id, 'echo', { input: { query: 'ok' } })
      expect(await refusal(client.runs.wait(thread.thread_id, 'echo', { input: { query: '' } }))).toMatchObject({ status: 422 })
      expect((await client.threads.get(thread.thread_id)).status).toBe('idle')
    })
  })

  describe('observability', () => {
    it('counts protocol runs in the agent run metrics, by route and outcome, and labels requests by endpoint', async () => {
      await client.runs.wait(null, 'fail', { input: { label: 'm' } }).catch(() => undefined)
      const thread = await client.threads.create()
      await client.runs.wait(thread.thread_id, 'approval', { input: { request: 'metrics' } })
      const text = await (await fetch(`${url}/metrics`)).text()
      expect(text).toMatch(/langvel_agent_runs_total\{[^}]*agent="\/fail"[^}]*outcome="error"[^}]*\} [1-9]/)
      expect(text).toMatch(/langvel_agent_runs_total\{[^}]*agent="\/approval"[^}]*outcome="interrupted"[^}]*\} [1-9]/)
      expect(text).toContain('route="/threads/:thread_id/runs/wait"')
    })
  })

  describe('thread-less runs', () => {
    it('waits and streams without a thread, leaving none behind unless on_completion is keep', async () => {
      const sam = clientWith({ headers: { authorization: bearer('sam') } })
      const before = (await sam.threads.search({ limit: 1000 })).length
      expect(await sam.runs.wait(null, 'echo', { input: { query: 'solo' } })).toMatchObject({ response: 'Processed: solo' })
      const parts: Array<{ event: string; data: any }> = []
      for await (const part of sam.runs.stream(null, 'echo', { input: { query: 'solo' }, streamMode: 'updates' })) parts.push(part)
      expect(parts.map((part) => part.event)).toEqual(['metadata', 'updates', 'updates'])
      expect((await sam.threads.search({ limit: 1000 })).length).toBe(before)
      // The SDK's type leaves on_completion out of a thread-less wait; the protocol takes it.
      const kept = await fetch(`${url}/runs/wait`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: bearer('sam') },
        body: JSON.stringify({ assistant_id: 'echo', input: { query: 'kept' }, on_completion: 'keep' }),
      })
      expect(kept.status).toBe(200)
      expect(kept.headers.get('content-location')).toMatch(/^\/runs\/[0-9a-f-]{36}$/)
      expect((await sam.threads.search({ limit: 1000 })).length).toBe(before + 1)
    })
  })

  describe('authentication and ownership', () => {
    it('runs an auth route with an API key and with a Bearer token, and refuses it without either (401)', async () => {
      const { key } = await app.make('auth').apiKeys.create('sdk', { permissions: [] })
      const byKey = clientWith({ apiKey: key })
      const thread = await byKey.threads.create()
      expect(await byKey.runs.wait(thread.thread_id, 'secure-echo', { input: { query: 'k' } })).toMatchObject({ response: 'Processed: k' })
      const byToken = clientWith({ headers: { authorization: bearer('carol') } })
      expect(await byToken.runs.wait(null, 'secure-echo', { input: { query: 't' } })).toMatchObject({ response: 'Processed: t' })
      expect(await refusal(client.runs.wait(null, 'secure-echo', { input: { query: 'x' } }))).toMatchObject({ status: 401 })
      expect(await clientWith({ apiKey: 'lv_wrong' }).threads.search()).toEqual([])
    })

    it("answers another principal's thread with 404, and searches only the caller's own", async () => {
      const alice = clientWith({ headers: { authorization: bearer('alice') } })
      const bob = clientWith({ headers: { authorization: bearer('bob') } })
      const thread = await alice.threads.create({ metadata: { owner: 'alice' } })
      await alice.runs.wait(thread.thread_id, 'secure-echo', { input: { query: 'mine' } })
      for (const attempt of [
        bob.threads.get(thread.thread_id),
        bob.threads.getState(thread.thread_id),
        bob.threads.getHistory(thread.thread_id),
        bob.threads.update(thread.thread_id, { metadata: { x: 1 } }),
        bob.threads.delete(thread.thread_id),
        bob.runs.wait(thread.thread_id, 'secure-echo', { input: { query: 'theirs' } }),
        client.threads.get(thread.thread_id),
      ]) {
        expect(await refusal(attempt)).toMatchObject({ status: 404 })
      }
      expect(await bob.threads.search({ metadata: { owner: 'alice' } })).toEqual([])
      expect((await alice.threads.search({ metadata: { owner: 'alice' } })).map((item) => item.thread_id)).toEqual([thread.thread_id])
      expect((await alice.threads.getState(thread.thread_id)).values).toMatchObject({ response: 'Processed: mine' })
      expect(await client.threads.search({ metadata: { owner: 'alice' } })).toEqual([])
    })

    it("runs the bound route's middleware before showing or changing a thread, and the assistant's before reading it", async () => {
      const thread = await client.threads.create({ graphId: 'secure-echo' })
      expect(await refusal(client.threads.get(thread.thread_id))).toMatchObject({ status: 401 })
      expect(await refusal(client.threads.update(thread.thread_id, { metadata: { x: 1 } }))).toMatchObject({ status: 401 })
      expect(await refusal(client.threads.getState(thread.thread_id))).toMatchObject({ status: 401 })
      expect(await refusal(client.threads.getHistory(thread.thread_id))).toMatchObject({ status: 401 })
      const gus = clientWith({ headers: { authorization: bearer('gus') } })
      expect((await gus.threads.update(thread.thread_id, { metadata: { x: 1 } })).metadata).toMatchObject({ x: 1 })
      for (const read of [client.assistants.get('secure-echo'), client.assistants.getGraph('secure-echo'), client.assistants.getSchemas('secure-echo'), client.assistants.getSubgraphs('secure-echo')]) {
        expect(await refusal(read)).toMatchObject({ status: 401 })
      }
      expect((await gus.assistants.getGraph('secure-echo')).nodes.length).toBeGreaterThan(0)
      expect((await gus.assistants.get('secure-echo')).assistant_id).toBe('secure-echo')
    })

    it('bounds the metadata a thread may hold to 64 KB of JSON', async () => {
      const big = 'x'.repeat(40 * 1024)
      expect(await refusal(client.threads.create({ metadata: { big: big + big } }))).toMatchObject({ status: 422 })
      const thread = await client.threads.create({ metadata: { one: big } })
      expect(await refusal(client.threads.update(thread.thread_id, { metadata: { two: big } }))).toMatchObject({ status: 422 })
      expect(await refusal(client.runs.wait(`big-${Date.now()}`, 'echo', { input: { query: 'q' }, ifNotExists: 'create', metadata: { big: big + big } }))).toMatchObject({ status: 422 })
    })

    it('lists and counts nothing for an anonymous caller: an ownerless thread is reached by its id only', async () => {
      const topic = `anon-${Date.now()}`
      const thread = await client.threads.create({ metadata: { topic } })
      expect(await client.threads.search({ metadata: { topic } })).toEqual([])
      expect(await client.threads.search({ limit: 1000 })).toEqual([])
      expect(await client.threads.count({ metadata: { topic } })).toBe(0)
      expect(await client.threads.count()).toBe(0)
      expect((await client.threads.get(thread.thread_id)).metadata).toEqual({ topic })
      const fay = clientWith({ headers: { authorization: bearer('fay') } })
      expect(await fay.threads.search({ metadata: { topic } })).toEqual([])
    })

    it('keeps a thread created anonymously ownerless when a principal runs on it, or is refused on it', async () => {
      const dave = clientWith({ headers: { authorization: bearer('dave') } })
      const erin = clientWith({ headers: { authorization: bearer('erin') } })
      const thread = await client.threads.create()
      await dave.runs.wait(thread.thread_id, 'secure-echo', { input: { query: 'ran' } })
      expect((await erin.threads.get(thread.thread_id)).status).toBe('idle')
      expect((await erin.threads.getState(thread.thread_id)).values).toMatchObject({ response: 'Processed: ran' })
      expect(await dave.threads.search({ ids: [thread.thread_id] })).toEqual([])

      // A refused run (another assistant, or a fork) takes nothing either.
      const other = await client.threads.create()
      await client.runs.wait(other.thread_id, 'echo', { input: { query: 'a' } })
      expect(await refusal(erin.runs.wait(other.thread_id, 'approval', { input: { request: 'b' } }))).toMatchObject({ status: 422 })
      expect(await refusal(erin.runs.wait(other.thread_id, 'echo', { input: { query: 'c' }, checkpointId: 'not-the-latest' }))).toMatchObject({ status: 422 })
      expect((await client.threads.get(other.thread_id)).status).toBe('idle')
      expect(await client.runs.wait(other.thread_id, 'echo', { input: { query: 'd' } })).toMatchObject({ response: 'Processed: d' })
    })
  })
})
