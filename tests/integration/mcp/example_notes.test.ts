import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import request from 'supertest'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { createLogger } from '../../../framework/logger'

const ROOT = join(__dirname, '..', '..', '..')

interface Message {
  type: string
  content: string
  name?: string
  tool_calls?: Array<{ name: string; args: Record<string, unknown> }>
}

/**
 * The bundled MCP example as `langvel serve` wires it: config/mcp.ts starts
 * app/mcp/notes_server.ts (through tsx) as a child process, and /notes answers
 * with the offline fake model, whose tool loop calls the server's tools. The
 * project root is a scratch folder with no mcp.json: the example does not
 * depend on one. The notes go to a file of the test's own (NOTES_FILE reaches
 * the server through the `${NOTES_FILE:-...}` of its entry).
 */
describe('the notes example: /notes keeps notes through the notes MCP server of config/mcp.ts', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'langvel-notes-example-'))
  const notesFile = join(scratch, 'notes', 'notes.json')
  const projectNotes = join(ROOT, 'storage', 'mcp', 'notes.json')
  const projectNotesBefore = existsSync(projectNotes) ? readFileSync(projectNotes, 'utf8') : undefined
  let app: Application
  let server: HttpServer
  let http: ReturnType<typeof request>

  const ask = async (question: string) => {
    const response = await http.post('/agents/notes').send({ input: { messages: [{ role: 'user', content: question }] } })
    expect(response.status).toBe(200)
    const messages = (response.body.output as { messages: Message[] }).messages
    return { messages, calls: messages.flatMap((message) => message.tool_calls ?? []), answer: messages.at(-1)?.content ?? '' }
  }

  beforeAll(async () => {
    app = Application.create({
      basePath: scratch,
      loadDotenv: false,
      env: {
        APP_ENV: 'test',
        JWT_SECRET_KEY: randomBytes(48).toString('base64url'),
        DATABASE_URL: `sqlite://${join(scratch, 'database.sqlite')}`,
        STATE_CHECKPOINTER: 'memory',
        RATE_LIMIT_DRIVER: 'memory',
        LLM_PROVIDER: 'fake',
        NOTES_FILE: notesFile,
      },
      providers: defaultProviders(),
      logger: createLogger({ silent: true }),
    })
    await app.boot()
    server = createServer({ app, runner: app.make('agents'), health: { database: 'off', checkpointer: 'off' } })
    server.markReady()
    http = request(server.express)
  })

  afterAll(async () => {
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(scratch, { recursive: true, force: true })
  })

  it('adds a note: the model calls add_note, the server saves it, and the answer carries its id', async () => {
    const { calls, messages, answer } = await ask('add a note: buy milk')

    expect(calls).toEqual([expect.objectContaining({ name: 'add_note', args: { title: 'add a note: buy milk' } })])
    const result = messages.find((message) => message.type === 'tool')
    expect(result?.name).toBe('add_note')
    expect(JSON.parse(result?.content ?? '')).toEqual({ note: { id: 1, title: 'add a note: buy milk', body: '', createdAt: expect.any(String) } })
    expect(answer).toMatch(/^Here is what I found\. add_note: \{"note":\{"id":1,"title":"add a note: buy milk"/)

    const saved = JSON.parse(readFileSync(notesFile, 'utf8')) as { notes: Array<{ id: number; title: string }> }
    expect(saved.notes).toEqual([expect.objectContaining({ id: 1, title: 'add a note: buy milk' })])
    // Written through a temporary file renamed into place: none is left behind.
    expect(readdirSync(join(scratch, 'notes'))).toEqual(['notes.json'])
  })

  it('lists the notes: the model calls list_notes and answers with what the server returned', async () => {
    const { calls, answer } = await ask('list my notes')

    expect(calls.map((call) => call.name)).toEqual(['list_notes'])
    expect(answer).toContain('list_notes: {"notes":[{"id":1,"title":"add a note: buy milk"')
    expect(answer).toContain('"count":1')
  })

  it('started the server declared in config/mcp.ts, and reports it ready with its three tools', () => {
    const [report] = app.make('mcp').reports()
    expect(report).toMatchObject({ name: 'notes', transport: 'stdio', status: 'ready', restarts: 0, serverInfo: { name: 'langvel-notes', version: '1.0.0' } })
    expect(report.tools.map((tool) => tool.name)).toEqual(['list_notes', 'search_notes', 'add_note'])
  })

  it('serves search_notes, the notes://all resource and the summarize_notes prompt to direct calls', async () => {
    const mcp = app.make('mcp')
    await mcp.call('notes', 'add_note', { title: 'Groceries', body: 'Buy MILK and eggs' })

    const found = await mcp.call('notes', 'search_notes', { query: 'milk eggs' })
    expect(found.structuredContent).toMatchObject({ query: 'milk eggs', count: 1, notes: [{ id: 2, title: 'Groceries' }] })
    expect(found.text).toBe('#2 Groceries: Buy MILK and eggs')

    const resource = await mcp.resource('notes', 'notes://all')
    const [contents] = resource.contents as Array<{ uri: string; mimeType: string; text: string }>
    expect(contents).toMatchObject({ uri: 'notes://all', mimeType: 'application/json' })
    expect((JSON.parse(contents.text) as { notes: unknown[] }).notes).toHaveLength(2)

    const prompt = await mcp.prompt('notes', 'summarize_notes', { focus: 'shopping' })
    expect(prompt.messages).toEqual([
      { role: 'user', content: { type: 'text', text: expect.stringMatching(/^Summarize my notes in a few sentences, concentrating on shopping\.\n\n#1 add a note: buy milk\n#2 Groceries: Buy MILK and eggs$/) } },
    ])
  })

  it('refuses arguments that do not fit the input schema before anything reaches the server', async () => {
    const mcp = app.make('mcp')
    await expect(mcp.call('notes', 'add_note', { body: 'no title' })).rejects.toMatchObject({ code: 'E_TOOL_INPUT' })
    await expect(mcp.call('notes', 'add_note', { title: '' })).rejects.toMatchObject({ code: 'E_TOOL_INPUT' })
    const listed = await mcp.call('notes', 'list_notes', {})
    expect(listed.structuredContent).toMatchObject({ count: 2 })
  })

  it("never touches the project's own notes file", () => {
    expect(existsSync(projectNotes) ? readFileSync(projectNotes, 'utf8') : undefined).toBe(projectNotesBefore)
  })
})
