import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tool } from '@langchain/core/tools'
import { Annotation, END, interrupt, MemorySaver, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph'
import { createReactAgent } from '@langchain/langgraph/prebuilt'
import { Client } from '@langchain/langgraph-sdk'
import request from 'supertest'
import { z } from 'zod'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { Migrator } from '../../../framework/database/migrator'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { FakeChatModel } from '../../../framework/llm/fake_chat_model'
import { FakeScript } from '../../../framework/llm/fake_script'
import { createLogger } from '../../../framework/logger'
import { Router } from '../../../framework/routing/router'

const ROOT = join(__dirname, '..', '..', '..')

/** A hand-built StateGraph: a draft, then a person approves it (an `interrupt()` inside a node), then it is published. */
const Review = Annotation.Root({
  ...MessagesAnnotation.spec,
  topic: Annotation<string>,
  draft: Annotation<string>,
  approved: Annotation<boolean>,
  notes: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
})
const reviewGraph = new StateGraph(Review)
  .addNode('write', (state) => ({ draft: `A post about ${state.topic}`, notes: ['written'] }))
  .addNode('approve', () => ({ approved: interrupt({ question: 'Publish this draft?' }) === true, notes: ['reviewed'] }))
  .addNode('publish', (state) => ({ messages: [{ role: 'assistant', content: state.approved ? `Published: ${state.draft}` : 'Discarded' }] }))
  .addEdge(START, 'write')
  .addEdge('write', 'approve')
  .addEdge('approve', 'publish')
  .addEdge('publish', END)
  .compile()

/** A zod-declared StateGraph: its schemas come from the zod fields. */
const Greeting = z.object({ name: z.string().describe('Who to greet'), greeting: z.string().optional() })
const greetGraph = new StateGraph(Greeting)
  .addNode('greet', (state) => ({ greeting: `Hello, ${state.name}!` }))
  .addEdge(START, 'greet')
  .compile()

/** createReactAgent on Langvel's offline model: it calls `word_count` when asked to count words, then answers. */
const script = new FakeScript()
const llm = new FakeChatModel({ model: 'fake', temperature: 0, maxTokens: 256, script: () => script })
const wordCount = tool(async ({ text }) => String(text.split(/\s+/).filter(Boolean).length), {
  name: 'word_count',
  description: 'Counts the words of a text',
  schema: z.object({ text: z.string() }),
})

type Message = { type: string; content: string; name?: string }

/** What a request the server refused carries, as the SDK throws it. */
async function refusal(promise: Promise<unknown>): Promise<number> {
  try {
    await promise
  } catch (error) {
    return (error as { status?: number }).status ?? 0
  }
  throw new Error('expected the request to be refused')
}

/**
 * Route.graph: graphs built with LangGraph directly (a hand-built StateGraph,
 * a zod StateGraph, createReactAgent, an async factory) served by
 * `langvel serve` on the agent API and on the LangGraph protocol (driven by
 * the official SDK), with the configured SQLite checkpointer, interrupts and
 * resume, and route middleware.
 */
describe('Route.graph through the agent API and @langchain/langgraph-sdk', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-route-graph-'))
  let app: Application
  let server: HttpServer
  let runner: AgentRunner
  let http: ReturnType<typeof request>
  let client: Client

  beforeAll(async () => {
    app = Application.create({
      basePath: base,
      loadDotenv: false,
      env: { APP_ENV: 'test', JWT_SECRET_KEY: randomBytes(48).toString('base64url'), STATE_CHECKPOINTER: 'sqlite', RATE_LIMIT_DRIVER: 'memory', LLM_PROVIDER: 'fake' },
      providers: defaultProviders(),
      logger: createLogger({ silent: true }),
    })
    await app.boot()
    await new Migrator(app.make('db'), { directory: join(ROOT, 'database', 'migrations') }).latest()
    const router = new Router()
    router.graph('/review', reviewGraph).name('review').description('Drafts, asks, publishes')
    router.graph('/greet', () => greetGraph).name('greet')
    router.graph('/react', () => createReactAgent({ llm, tools: [wordCount] })).name('react')
    router.graph('/lazy', async () => greetGraph).name('lazy')
    router.group({ prefix: '/secure', middleware: ['auth'] }, () => {
      router.graph('/review', () => reviewGraph).name('secure-review')
    })
    const checkpointers = app.make('checkpointer')
    runner = new AgentRunner({
      routes: router.routes(),
      middleware: app.make('middleware'),
      resolveCheckpointer: (name) => checkpointers.use(name),
      logger: app.logger,
      defaultCheckpointer: checkpointers.defaultDriver,
      checkpointerDrivers: () => checkpointers.drivers,
    })
    server = createServer({ app, runner, health: { database: 'off', checkpointer: 'off' }, langgraphApi: { enabled: true, middleware: [] } })
    server.markReady()
    http = request(server.express)
    const { url } = await server.listen(0, '127.0.0.1')
    client = new Client({ apiUrl: url, apiKey: null, callerOptions: { maxRetries: 0 } })
  })

  afterAll(async () => {
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  describe('a hand-built StateGraph', () => {
    it('runs to its interrupt and resumes on the agent API, its thread kept in the configured checkpointer', async () => {
      const started = await http.post('/agents/review').send({ input: { topic: 'otters' }, config: { thread_id: 'review-1' } }).expect(200)
      expect(started.body.interrupts).toEqual([expect.objectContaining({ node: 'approve', value: { question: 'Publish this draft?' } })])

      const state = await http.get('/agents/review/threads/review-1/state').expect(200)
      expect(state.body).toMatchObject({ values: { topic: 'otters', draft: 'A post about otters', notes: ['written'] }, next: ['approve'] })

      // The graph's checkpoints are in Langvel's SQLite checkpointer, under the route's namespace.
      const saved = await app.make('checkpointer').use('sqlite').getTuple({ configurable: { thread_id: '/review:review-1' } })
      expect(saved?.checkpoint.channel_values).toMatchObject({ topic: 'otters', draft: 'A post about otters' })

      const resumed = await http.post('/agents/review/threads/review-1/resume').send({ value: true }).expect(200)
      expect(resumed.body.interrupts).toEqual([])
      expect(resumed.body.output.notes).toEqual(['written', 'reviewed'])
      expect((resumed.body.output.messages as Message[]).at(-1)).toMatchObject({ type: 'ai', content: 'Published: A post about otters' })
    })

    it('is an assistant whose graph, schemas and threads the SDK reads; interrupts and resumes through runs', async () => {
      const assistant = await client.assistants.get('review')
      expect(assistant).toMatchObject({ graph_id: 'review', description: 'Drafts, asks, publishes' })
      const graph = await client.assistants.getGraph('review')
      expect(graph.nodes.map((node) => String(node.id))).toEqual(expect.arrayContaining(['write', 'approve', 'publish']))
      const schemas = await client.assistants.getSchemas('review')
      expect(Object.keys((schemas.input_schema as { properties: object }).properties).sort()).toEqual(['approved', 'draft', 'messages', 'notes', 'topic'])

      const thread = await client.threads.create()
      const waited = (await client.runs.wait(thread.thread_id, 'review', { input: { topic: 'badgers' } })) as Record<string, unknown>
      expect(waited.__interrupt__).toEqual([expect.objectContaining({ value: { question: 'Publish this draft?' } })])
      const pending = await client.threads.getState<{ draft: string }>(thread.thread_id)
      expect(pending.values.draft).toBe('A post about badgers')
      expect(pending.next).toEqual(['approve'])
      // A person edits the draft while the thread waits; it still waits for the answer afterwards.
      await client.threads.updateState(thread.thread_id, { values: { draft: 'A shorter post about badgers' }, asNode: 'write' })
      const edited = await client.threads.getState<{ draft: string }>(thread.thread_id)
      expect(edited.values.draft).toBe('A shorter post about badgers')
      expect(edited.next).toEqual(['approve'])

      const parts: Array<{ event: string; data: any }> = []
      for await (const part of client.runs.stream(thread.thread_id, 'review', { command: { resume: true }, streamMode: ['values', 'updates'] })) parts.push(part)
      const last = parts.filter((part) => part.event === 'values').at(-1)?.data as { messages: Message[]; approved: boolean; notes: string[] }
      expect(last.approved).toBe(true)
      expect(last.messages.at(-1)).toMatchObject({ type: 'ai', content: 'Published: A shorter post about badgers' })
      expect(last.notes).toEqual(['written', 'reviewed'])
      expect(parts.some((part) => part.event === 'updates' && 'publish' in part.data)).toBe(true)

      const history = await client.threads.getHistory(thread.thread_id)
      expect(history.length).toBeGreaterThan(2)
      expect((await client.threads.getState<{ approved: boolean }>(thread.thread_id)).values.approved).toBe(true)
    })

    it('refuses a route behind auth without credentials (401), on both APIs', async () => {
      const response = await http.post('/agents/secure/review').send({ input: { topic: 'x' } }).expect(401)
      expect(response.body.error.code).toMatch(/^E_/)
      expect(await refusal(client.runs.wait(null, 'secure-review', { input: { topic: 'x' } }))).toBe(401)
      const token = app.make('auth').tokens.issue('ann').token
      const allowed = await http.post('/agents/secure/review').set('authorization', `Bearer ${token}`).send({ input: { topic: 'x' } }).expect(200)
      expect(allowed.body.interrupts).toEqual([expect.objectContaining({ node: 'approve' })])
    })
  })

  describe('a zod StateGraph', () => {
    it('validates its input against the zod fields and gives typed JSON Schemas', async () => {
      const ok = await http.post('/agents/greet').send({ input: { name: 'Ada' } }).expect(200)
      expect(ok.body.output).toEqual({ name: 'Ada', greeting: 'Hello, Ada!' })
      const bad = await http.post('/agents/greet').send({ input: { name: 42 } }).expect(422)
      expect(bad.body.error.code).toBe('E_VALIDATION')
      expect(bad.body.error.details).toEqual([expect.objectContaining({ path: 'name' })])
      const schemas = await client.assistants.getSchemas('greet')
      expect(schemas.input_schema).toMatchObject({ type: 'object', properties: { name: { type: 'string', description: 'Who to greet' }, greeting: { type: 'string' } } })
    })

    it('serves a graph an async factory returns, once it resolved', async () => {
      const values = (await client.runs.wait(null, 'lazy', { input: { name: 'Grace' } })) as Record<string, unknown>
      expect(values).toEqual({ name: 'Grace', greeting: 'Hello, Grace!' })
    })
  })

  describe('createReactAgent on a fake model', () => {
    it('calls its tool and answers through runs.wait, and streams AI message chunks', async () => {
      const values = (await client.runs.wait(null, 'react', { input: { messages: [{ role: 'user', content: 'count the words: a b c' }] } })) as { messages: Message[] }
      expect(values.messages.map((message) => message.type)).toEqual(['human', 'ai', 'tool', 'ai'])
      expect(values.messages[2]).toMatchObject({ name: 'word_count', content: '6' })

      const thread = await client.threads.create()
      const parts: Array<{ event: string; data: any }> = []
      for await (const part of client.runs.stream(thread.thread_id, 'react', { input: { messages: [{ type: 'human', content: 'hello' }] }, streamMode: ['messages-tuple', 'values'] })) parts.push(part)
      const text = parts
        .filter((part) => part.event === 'messages' && part.data[1]?.langgraph_node === 'agent')
        .map((part) => part.data[0].content)
        .join('')
      expect(text).toBe('Echo: hello')
      const state = await client.threads.getState<{ messages: Message[] }>(thread.thread_id)
      expect(state.values.messages.map((message) => message.content)).toEqual(['hello', 'Echo: hello'])
    })

    it('runs through the runner, as `langvel agent:run` does', async () => {
      const result = await runner.invoke('/react', { messages: ['count words in: x y'] })
      expect((result.output.messages as Array<{ content: unknown }>).at(-1)?.content).toBe('Here is what I found. word_count: 5')
      expect(runner.route('/react')).toMatchObject({ agent: 'ReactGraph', checkpointer: 'sqlite', threadNamespace: '/react' })
    })
  })

  describe('bad graphs fail at boot', () => {
    const routerWith = (register: (router: Router) => void) => {
      const router = new Router()
      register(router)
      return () => new AgentRunner({ routes: router.routes(), middleware: app.make('middleware') })
    }
    const codeOf = (fn: () => unknown): unknown => {
      try {
        fn()
      } catch (error) {
        return (error as { code?: string }).code
      }
      return 'no error'
    }

    it('refuses a value that is not a graph when the route is declared', () => {
      expect(codeOf(() => new Router().graph('/x', { invoke: () => null } as never))).toBe('E_GRAPH_INVALID')
    })

    it('refuses a factory that throws or returns a non-graph when the runner is built', () => {
      expect(codeOf(routerWith((router) => router.graph('/x', () => {
        throw new Error('no model configured')
      })))).toBe('E_GRAPH_INVALID')
      expect(codeOf(routerWith((router) => router.graph('/x', () => 'nope' as never)))).toBe('E_GRAPH_INVALID')
    })

    it('refuses a graph compiled with a checkpointer of its own', () => {
      const own = new StateGraph(Greeting).addNode('greet', () => ({})).addEdge(START, 'greet').compile({ checkpointer: new MemorySaver() })
      expect(codeOf(() => new Router().graph('/x', own))).toBe('E_GRAPH_INVALID')
      expect(codeOf(routerWith((router) => router.graph('/x', () => own)))).toBe('E_GRAPH_INVALID')
    })

    it('refuses a graph compiled with static interruptBefore / interruptAfter (they could not be resumed)', () => {
      const stops = new StateGraph(Greeting).addNode('greet', () => ({})).addEdge(START, 'greet').compile({ interruptBefore: ['greet'] })
      expect(codeOf(() => new Router().graph('/x', stops))).toBe('E_GRAPH_INVALID')
      expect(codeOf(routerWith((router) => router.graph('/x', () => stops)))).toBe('E_GRAPH_INVALID')
      expect(codeOf(routerWith((router) => router.graph('/x', () => createReactAgent({ llm, tools: [wordCount], interruptBefore: ['tools'] }))))).toBe('E_GRAPH_INVALID')
    })

    it('fails the first compile (runner.warm) of an async factory that rejects, and tries again on the next', async () => {
      let calls = 0
      const build = routerWith((router) =>
        router.graph('/x', async () => {
          calls++
          if (calls === 1) throw new Error('not yet')
          return greetGraph
        }),
      )
      const lazyRunner = build()
      await expect(lazyRunner.warm()).rejects.toMatchObject({ code: 'E_GRAPH_INVALID' })
      await expect(lazyRunner.invoke('/x', { name: 'Ann' })).resolves.toMatchObject({ output: { greeting: 'Hello, Ann!' } })
    })
  })
})
