import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@langchain/langgraph-sdk'
import { MessageTupleManager } from '@langchain/langgraph-sdk/ui'
import request from 'supertest'
import { Migrator } from '../../../framework/database/migrator'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { createLogger } from '../../../framework/logger'

const ROOT = join(__dirname, '..', '..', '..')

/** SSE frames of a response body: `{ event, data }` each. */
function frames(text: string): Array<{ event: string; data: any }> {
  return text
    .split('\n\n')
    .filter((block) => block.includes('event:'))
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? ''
      const data = /^data: (.*)$/m.exec(block)?.[1]
      return { event, data: data ? JSON.parse(data) : undefined }
    })
}

type Message = { type: string; content: string; name?: string }

/**
 * The /chat example (messages in, messages out) and the /words example (a
 * LangGraph prebuilt ReAct agent served with Route.graph) as `langvel serve`
 * wires them from routes/agents.ts, on the offline fake model: through the
 * agent API and through the official LangGraph SDK, as chat UIs use them.
 */
describe('the /chat and /words examples', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-chat-'))
  let app: Application
  let server: HttpServer
  let http: ReturnType<typeof request>
  let client: Client

  beforeAll(async () => {
    app = Application.create({
      basePath: base,
      loadDotenv: false,
      env: { APP_ENV: 'test', JWT_SECRET_KEY: randomBytes(48).toString('base64url'), STATE_CHECKPOINTER: 'memory', RATE_LIMIT_DRIVER: 'memory', LLM_PROVIDER: 'fake' },
      providers: defaultProviders(),
      logger: createLogger({ silent: true }),
    })
    await app.boot()
    await new Migrator(app.make('db'), { directory: join(ROOT, 'database', 'migrations') }).latest()
    server = createServer({ app, runner: app.make('agents'), health: { database: 'off', checkpointer: 'off' }, langgraphApi: { enabled: true, middleware: [] } })
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

  describe('/chat on the agent API', () => {
    it('takes LangChain-style message dicts and answers with the conversation, the model reply appended', async () => {
      const response = await http.post('/agents/chat').send({ input: { messages: [{ type: 'human', content: 'hello there' }] }, config: { thread_id: 'chat-native-1' } }).expect(200)
      const messages = response.body.output.messages as Message[]
      expect(messages.map((message) => [message.type, message.content])).toEqual([
        ['human', 'hello there'],
        ['ai', 'Echo: hello there'],
      ])
      // The thread keeps the conversation: the next turn sees both earlier messages.
      const next = await http.post('/agents/chat').send({ input: { messages: [{ role: 'user', content: 'again' }] }, config: { thread_id: 'chat-native-1' } }).expect(200)
      expect((next.body.output.messages as Message[]).map((message) => message.content)).toEqual(['hello there', 'Echo: hello there', 'again', 'Echo: again'])
    })

    it('streams the answer as message chunks', async () => {
      const response = await http.post('/agents/chat').send({ input: { messages: [{ role: 'user', content: 'stream me' }] }, stream: true, stream_mode: ['messages', 'values'] }).expect(200)
      const events = frames(response.text)
      const chunks = events.filter((frame) => frame.event === 'messages')
      expect(chunks.length).toBeGreaterThan(1)
      expect(chunks.map((frame) => frame.data[0].content).join('')).toBe('Echo: stream me')
      expect(chunks[0].data[1]).toMatchObject({ langgraph_node: 'reply' })
      const last = events.filter((frame) => frame.event === 'values').at(-1)?.data
      expect(JSON.stringify(last)).toContain('Echo: stream me')
    })

    it('takes one message alone (a bare string) as a list of one', async () => {
      const response = await http.post('/agents/chat').send({ input: { messages: 'just one' } }).expect(200)
      expect((response.body.output.messages as Message[]).map((message) => [message.type, message.content])).toEqual([
        ['human', 'just one'],
        ['ai', 'Echo: just one'],
      ])
    })

    it('refuses messages that are not messages with 422 and the field', async () => {
      const response = await http.post('/agents/chat').send({ input: { messages: 5 } }).expect(422)
      expect(response.body.error.code).toBe('E_VALIDATION')
      expect(response.body.error.details).toEqual([expect.objectContaining({ path: 'messages' })])
    })

    it.each(['/agents/chat', '/agents/words'])('%s refuses with 422 a message LangChain cannot read, naming it', async (path) => {
      for (const message of [{ foo: 1 }, { role: 'wizard', content: 'x' }]) {
        const response = await http.post(path).send({ input: { messages: [message] } }).expect(422)
        expect(response.body.error.code).toBe('E_VALIDATION')
        expect(response.body.error.details).toEqual([expect.objectContaining({ path: 'messages.0' })])
      }
    })
  })

  describe('/chat through @langchain/langgraph-sdk', () => {
    it('runs.wait returns the messages', async () => {
      const thread = await client.threads.create()
      const values = (await client.runs.wait(thread.thread_id, 'chat', { input: { messages: [{ type: 'human', content: 'hi' }] } })) as { messages: Message[] }
      expect(values.messages.map((message) => [message.type, message.content])).toEqual([
        ['human', 'hi'],
        ['ai', 'Echo: hi'],
      ])
      const state = await client.threads.getState<{ messages: Message[] }>(thread.thread_id)
      expect(state.values.messages).toHaveLength(2)
    })

    it("runs.stream with ['messages-tuple', 'values'] yields AI message chunks, as agent-chat-ui asks", async () => {
      const thread = await client.threads.create()
      const parts: Array<{ event: string; data: any }> = []
      for await (const part of client.runs.stream(thread.thread_id, 'chat', {
        input: { messages: [{ role: 'user', content: 'tell me something' }] },
        streamMode: ['messages-tuple', 'values'],
      })) {
        parts.push(part)
      }
      const tuples = parts.filter((part) => part.event === 'messages') as Array<{ data: [Message & { id?: string }, Record<string, unknown>] }>
      expect(tuples.length).toBeGreaterThan(1)
      // LangChain's serialization of an AIMessageChunk: every chunk of one answer shares the message id.
      for (const { data } of tuples) expect(['ai', 'AIMessageChunk']).toContain(data[0].type)
      expect(new Set(tuples.map(({ data }) => data[0].id)).size).toBe(1)
      expect(tuples.map(({ data }) => data[0].content).join('')).toBe('Echo: tell me something')
      expect(tuples[0].data[1]).toMatchObject({ langgraph_node: 'reply' })
      // What the SDK's useStream (agent-chat-ui) does with them: one AI message growing chunk by chunk.
      const ui = new MessageTupleManager()
      const ids = new Set(tuples.map(({ data }) => ui.add(data[0] as never, data[1])))
      expect(ids.size).toBe(1)
      const shown = ui.get([...ids][0] as string)?.chunk
      expect(shown?.getType()).toBe('ai')
      expect(shown?.content).toBe('Echo: tell me something')
      const last = parts.filter((part) => part.event === 'values').at(-1)?.data as { messages: Message[] }
      expect(last.messages.map((message) => message.type)).toEqual(['human', 'ai'])
    })

    it('describes the messages state in its schemas', async () => {
      const schemas = await client.assistants.getSchemas('chat')
      expect(schemas.input_schema).toMatchObject({ type: 'object', properties: { messages: { type: 'array' } } })
    })
  })

  describe('/words: a LangGraph prebuilt agent served with Route.graph', () => {
    it('calls its tool and answers, on both APIs', async () => {
      const response = await http.post('/agents/words').send({ input: { messages: [{ role: 'user', content: 'count the words in this short sentence' }] } }).expect(200)
      const messages = response.body.output.messages as Message[]
      expect(messages.map((message) => message.type)).toEqual(['human', 'ai', 'tool', 'ai'])
      expect(messages[2]).toMatchObject({ name: 'word_count', content: '7' })
      expect(messages[3].content).toContain('word_count: 7')

      const values = (await client.runs.wait(null, 'words', { input: { messages: [{ type: 'human', content: 'count words: one two three' }] } })) as { messages: Message[] }
      expect(values.messages.find((message) => message.type === 'tool')?.content).toBe('5')
    })

    it('is listed on the agent API and in the OpenAPI document, and draws its graph', async () => {
      const listed = await http.get('/agents').expect(200)
      const words = (listed.body.agents as Array<Record<string, any>>).find((agent) => agent.path === 'words')
      expect(words).toMatchObject({ name: 'words', agent: 'WordsGraph', input_schema: { type: 'object', properties: { messages: { type: 'array' } } } })
      const openapi = await http.get('/openapi.json').expect(200)
      expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/agents/words', '/agents/chat']))
      const mermaid = await http.get('/agents/words/graph').expect(200)
      expect(mermaid.text).toContain('tools')
    })

    it('is listed as an assistant with its messages schema', async () => {
      const assistant = await client.assistants.get('words')
      expect(assistant).toMatchObject({ graph_id: 'words', description: 'A LangGraph prebuilt ReAct agent that counts words with a tool' })
      const schemas = await client.assistants.getSchemas('words')
      expect(schemas.input_schema).toMatchObject({ type: 'object', properties: { messages: { type: 'array' } } })
      const graph = await client.assistants.getGraph('words')
      expect(graph.nodes.map((node) => String(node.id))).toEqual(expect.arrayContaining(['agent', 'tools']))
    })
  })
})
