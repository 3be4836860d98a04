import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { Client, type ThreadState } from '@langchain/langgraph-sdk'
import { Agent, defineState, reducers, type GraphBuilder, type StateOf } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { Application } from '../../../framework/foundation/application'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { Router } from '../../../framework/routing/router'
import { member, supervisor } from '../../../framework/teams'
import { bootMigratedApp } from './support/protocol_app'
import { refusal } from './support/refusal'

const Trail = defineState({ label: z.string(), steps: reducers.append(z.string()) })
type TrailState = StateOf<typeof Trail>

/** Three nodes in a row, each marking its step with the label it saw. */
class TrailAgent extends Agent<typeof Trail> {
  state = Trail

  build(graph: GraphBuilder<typeof Trail>) {
    return graph.then(this.first).then(this.second).then(this.third)
  }

  first(state: TrailState): Partial<TrailState> {
    return { steps: [`first:${state.label}`] }
  }

  second(state: TrailState): Partial<TrailState> {
    return { steps: [`second:${state.label}`] }
  }

  third(state: TrailState): Partial<TrailState> {
    return { steps: [`third:${state.label}`] }
  }
}

/** Run as a subgraph of NestingAgent. */
class InnerAgent extends Agent<typeof Trail> {
  state = Trail

  build(graph: GraphBuilder<typeof Trail>) {
    return graph.then(this.inner)
  }

  inner(state: TrailState): Partial<TrailState> {
    return { steps: [`inner:${state.label}`] }
  }
}

/** A node, then InnerAgent as the subgraph `child`, then a node. */
class NestingAgent extends Agent<typeof Trail> {
  state = Trail

  build(graph: GraphBuilder<typeof Trail>) {
    return graph.then(this.before).subgraph(InnerAgent, { name: 'child' }).then(this.after)
  }

  before(): Partial<TrailState> {
    return { steps: ['before'] }
  }

  after(): Partial<TrailState> {
    return { steps: ['after'] }
  }
}

const Work = defineState({ task: z.string(), done: z.string().optional() })
type WorkState = StateOf<typeof Work>

/** A team member: a graph of its own, run by the team as a subgraph. */
class WorkerAgent extends Agent<typeof Work> {
  state = Work

  build(graph: GraphBuilder<typeof Work>) {
    return graph.then(this.work)
  }

  work(state: WorkState): Partial<WorkState> {
    return { done: `worked on ${state.task}` }
  }
}

const worker = member<TrailState, WorkState>(WorkerAgent, { input: (state) => ({ task: state.label }), output: (result) => ({ steps: [result.done ?? ''] }) })

/** A supervisor team routed by a fixed plan: the worker once, then done. */
class TeamAgent extends Agent<typeof Trail> {
  state = Trail

  build(graph: GraphBuilder<typeof Trail>) {
    return graph.then(supervisor<TrailState>({ members: [worker], route: (state) => (state.steps.length === 0 ? 'worker' : 'done') }))
  }
}

/** The error body of a refusal, as the server sent it. */
function errorOf(refused: { text: string }): { code: string; message: string; details: Array<{ path: string; message: string }> } {
  return (JSON.parse(refused.text.slice(refused.text.indexOf('{'))) as { error: ReturnType<typeof errorOf> }).error
}

/**
 * Runs that continue a thread (`input: null`, `command` with resume, update
 * and goto), that stop before or after nodes (`interrupt_before`,
 * `interrupt_after`), and subgraph events (`stream_subgraphs`), driven by the
 * official client over a real socket.
 */
describe('LangGraph API commands, interrupt_before/after and subgraph streaming through @langchain/langgraph-sdk', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-lgapi-commands-'))
  let app: Application
  let server: HttpServer
  let client: Client

  beforeAll(async () => {
    app = await bootMigratedApp(base)
    const router = new Router()
    router.agent('/trail', TrailAgent).name('trail')
    router.agent('/nesting', NestingAgent).name('nesting')
    router.agent('/team', TeamAgent).name('team')
    const checkpointers = app.make('checkpointer')
    const runner = new AgentRunner({ routes: router.routes(), middleware: app.make('middleware'), resolveCheckpointer: (name) => checkpointers.use(name), logger: app.logger })
    server = createServer({ app, runner, langgraphApi: { enabled: true, middleware: [] } })
    const url = (await server.listen(0, '127.0.0.1')).url
    client = new Client({ apiUrl: url, apiKey: null, callerOptions: { maxRetries: 0 } })
  })

  afterAll(async () => {
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  /** A thread whose run went through all three nodes with label `a`. */
  async function finishedThread(): Promise<string> {
    const thread = await client.threads.create()
    expect(await client.runs.wait(thread.thread_id, 'trail', { input: { label: 'a' } })).toEqual({ label: 'a', steps: ['first:a', 'second:a', 'third:a'] })
    return thread.thread_id
  }

  it('stops before a node (interrupt_before), shows it as next and as a task, then goes on with input null', async () => {
    const thread = await client.threads.create()
    const stopped = await client.runs.wait(thread.thread_id, 'trail', { input: { label: 'a' }, interruptBefore: ['second'] })
    expect(stopped).toEqual({ label: 'a', steps: ['first:a'] })
    const state: ThreadState = await client.threads.getState(thread.thread_id)
    expect(state.next).toEqual(['second'])
    expect(state.tasks.map((task) => task.name)).toEqual(['second'])
    expect(await client.threads.get(thread.thread_id)).toMatchObject({ status: 'interrupted', values: { label: 'a', steps: ['first:a'] } })
    expect(await client.runs.wait(thread.thread_id, 'trail', { input: null })).toEqual({ label: 'a', steps: ['first:a', 'second:a', 'third:a'] })
    expect((await client.threads.getState(thread.thread_id)).next).toEqual([])
    expect((await client.threads.get(thread.thread_id)).status).toBe('idle')
    const runs = await client.runs.list(thread.thread_id)
    expect(runs.map((run) => run.status)).toEqual(['success', 'success'])
  })

  it('stops after a node (interrupt_after) while streaming, then goes on with a command that updates the state first', async () => {
    const thread = await client.threads.create()
    const updates: unknown[] = []
    for await (const part of client.runs.stream(thread.thread_id, 'trail', { input: { label: 'a' }, interruptAfter: ['first'], streamMode: 'updates' })) {
      if (part.event === 'updates') updates.push(part.data)
    }
    expect(updates).toEqual([{ first: { steps: ['first:a'] } }])
    expect((await client.threads.getState(thread.thread_id)).next).toEqual(['second'])
    expect((await client.threads.get(thread.thread_id)).status).toBe('interrupted')
    const done = await client.runs.wait(thread.thread_id, 'trail', { command: { update: { label: 'b' } } })
    expect(done).toEqual({ label: 'b', steps: ['first:a', 'second:b', 'third:b'] })
  })

  it('stops before every node with "*"', async () => {
    const thread = await client.threads.create()
    expect(await client.runs.wait(thread.thread_id, 'trail', { input: { label: 'a' }, interruptBefore: '*' })).toEqual({ label: 'a', steps: [] })
    expect((await client.threads.getState(thread.thread_id)).next).toEqual(['first'])
    expect(await client.runs.wait(thread.thread_id, 'trail', { input: null, interruptBefore: '*' })).toEqual({ label: 'a', steps: ['first:a'] })
    expect((await client.threads.getState(thread.thread_id)).next).toEqual(['second'])
  })

  it('runs the node command.goto names next, with the update applied first', async () => {
    const threadId = await finishedThread()
    expect(await client.runs.wait(threadId, 'trail', { input: null })).toEqual({ label: 'a', steps: ['first:a', 'second:a', 'third:a'] })
    const again = await client.runs.wait(threadId, 'trail', { command: { goto: 'third', update: { label: 'z' } } })
    expect(again).toEqual({ label: 'z', steps: ['first:a', 'second:a', 'third:a', 'third:z'] })
    const twice = await client.runs.wait(threadId, 'trail', { command: { goto: ['second'] } })
    expect(twice).toEqual({ label: 'z', steps: ['first:a', 'second:a', 'third:a', 'third:z', 'second:z', 'third:z'] })
  })

  it('refuses unknown node names with 422 naming them, and runs nothing', async () => {
    const threadId = await finishedThread()
    const before = await refusal(client.runs.wait(threadId, 'trail', { input: { label: 'b' }, interruptBefore: ['second', 'nope'] }))
    expect(before.status).toBe(422)
    expect(errorOf(before)).toMatchObject({ code: 'E_VALIDATION', message: 'Unknown node "nope" in interrupt_before' })
    expect(errorOf(before).details).toEqual([{ path: 'interrupt_before', message: '"nope" is not a node of TrailAgent; its nodes are first, second, third' }])
    const after = await refusal(client.runs.wait(threadId, 'trail', { input: { label: 'b' }, interruptAfter: ['ghost', 'spirit'] }))
    expect(after).toMatchObject({ status: 422 })
    expect(errorOf(after).message).toBe('Unknown node "ghost", "spirit" in interrupt_after')
    const goto = await refusal(client.runs.wait(threadId, 'trail', { command: { goto: 'elsewhere' } }))
    expect(goto).toMatchObject({ status: 422 })
    expect(errorOf(goto).message).toBe('Unknown node "elsewhere" in goto')
    const streamed = await refusal((async () => {
      for await (const part of client.runs.stream(threadId, 'trail', { command: { goto: 'elsewhere' } })) void part
    })())
    expect(streamed).toMatchObject({ status: 422 })
    expect(errorOf(streamed).details[0].path).toBe('goto')
    expect((await client.threads.getState(threadId)).values).toEqual({ label: 'a', steps: ['first:a', 'second:a', 'third:a'] })
    expect((await client.threads.get(threadId)).status).toBe('idle')
  })

  it('refuses a bad command: an update that does not fit the state, input beside a command, a Send in goto', async () => {
    const threadId = await finishedThread()
    expect(await refusal(client.runs.wait(threadId, 'trail', { command: { update: { label: 7 } } }))).toMatchObject({ status: 422 })
    expect(await refusal(client.runs.wait(threadId, 'trail', { input: { label: 'b' }, command: { goto: 'third' } }))).toMatchObject({ status: 422 })
    expect(await refusal(client.runs.wait(threadId, 'trail', { command: { goto: { node: 'third', input: {} } } }))).toMatchObject({ status: 422 })
    expect(await refusal(client.runs.wait(threadId, 'trail', { command: { resume: 'yes' } }))).toMatchObject({ status: 409 })
    expect((await client.threads.getState(threadId)).values).toEqual({ label: 'a', steps: ['first:a', 'second:a', 'third:a'] })
  })

  it('answers input null on a thread that never ran with 409', async () => {
    const thread = await client.threads.create()
    const refused = await refusal(client.runs.wait(thread.thread_id, 'trail', { input: null }))
    expect(refused.status).toBe(409)
  })

  it('streams subgraph events under namespaced event names with stream_subgraphs, and only the root graph\'s without', async () => {
    const names: string[] = []
    const inner: unknown[] = []
    const thread = await client.threads.create()
    for await (const part of client.runs.stream(thread.thread_id, 'nesting', { input: { label: 'n' }, streamMode: ['updates', 'values'], streamSubgraphs: true })) {
      names.push(part.event)
      if (part.event.startsWith('updates|')) inner.push(part.data)
    }
    const namespaced = names.filter((name) => name.includes('|'))
    expect(namespaced.length).toBeGreaterThan(0)
    for (const name of namespaced) expect(name).toMatch(/^(updates|values)\|child:[0-9a-f-]{36}$/)
    expect(inner).toEqual([{ inner: { steps: ['inner:n'] } }])
    expect(names).toContain('updates')
    expect((await client.threads.getState(thread.thread_id)).values).toEqual({ label: 'n', steps: ['before', 'inner:n', 'after'] })

    const plain: string[] = []
    for await (const part of client.runs.stream(null, 'nesting', { input: { label: 'p' }, streamMode: ['updates', 'values'] })) plain.push(part.event)
    expect(plain.filter((name) => name.includes('|'))).toEqual([])
    expect(plain).toContain('updates')
  })

  it('streams the events of a team\'s member under the member\'s namespace', async () => {
    const members: Array<{ event: string; data: unknown }> = []
    for await (const part of client.runs.stream(null, 'team', { input: { label: 'docs' }, streamMode: 'updates', streamSubgraphs: true })) {
      if (part.event.includes('|')) members.push({ event: part.event, data: part.data })
    }
    expect(members).toHaveLength(1)
    expect(members[0].event).toMatch(/^updates\|worker:[0-9a-f-]{36}$/)
    expect(members[0].data).toEqual({ work: { done: 'worked on docs' } })
  })
})
