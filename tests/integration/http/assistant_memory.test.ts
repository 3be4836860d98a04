import { settleEpisodes } from '../../../framework/agents/episodic_memory'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import request from 'supertest'
import { Migrator } from '../../../framework/database/migrator'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { createLogger } from '../../../framework/logger'

const ROOT = join(__dirname, '..', '..', '..')

/**
 * The example /assistant over HTTP, as `langvel serve` wires it, on the
 * offline fake model: what one principal tells it in a thread is recalled in
 * a new thread of that principal, and never in another principal's.
 */
describe('the example /assistant over HTTP: memory across threads, per principal', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-assistant-'))
  let app: Application
  let server: HttpServer
  let http: ReturnType<typeof request>
  const token = (subject: string) => `Bearer ${app.make('auth').tokens.issue(subject, { permissions: [] }).token}`

  beforeAll(async () => {
    app = Application.create({
      basePath: base,
      loadDotenv: false,
      env: { APP_ENV: 'test', JWT_SECRET_KEY: randomBytes(48).toString('base64url'), STATE_CHECKPOINTER: 'memory', RATE_LIMIT_DRIVER: 'memory', LLM_PROVIDER: 'fake', MEMORY_STORE: 'memory' },
      providers: defaultProviders(),
      logger: createLogger({ silent: true }),
    })
    await app.boot()
    await new Migrator(app.make('db'), { directory: join(ROOT, 'database', 'migrations') }).latest()
    server = createServer({ app, runner: app.make('agents') })
    server.markReady()
    http = request(server.express)
  })

  afterAll(async () => {
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  const say = (headers: Record<string, string>, message: string, threadId?: string) =>
    http
      .post('/agents/assistant')
      .set(headers)
      .send({ input: { message }, ...(threadId ? { config: { thread_id: threadId } } : {}) })

  it('refuses an anonymous caller with 401: memory belongs to a principal', async () => {
    const res = await say({}, 'my name is Ada').expect(401)
    expect(res.body.error.code).toBe('E_UNAUTHORIZED')
  })

  it("recalls in a new thread what the user said in another, and never shows it to another principal", async () => {
    const alice = { authorization: token('alice') }
    const told = await say(alice, 'Hi! My name is Ada.').expect(200)
    expect(told.body.output.remembered).toEqual(["The user's name is Ada"])
    const firstThread = told.body.thread_id as string

    const asked = await say(alice, 'what is my name?').expect(200)
    expect(asked.body.thread_id).not.toBe(firstThread)
    expect(asked.body.output.remembered).toEqual([])
    expect(asked.body.output.recalled).toEqual(expect.arrayContaining([expect.stringContaining('Ada')]))
    expect(typeof asked.body.output.reply).toBe('string')

    // Another principal (an API key) asking the same in a new thread recalls nothing of Alice's.
    const { key } = await app.make('auth').apiKeys.create('bob', { permissions: [] })
    const stranger = await say({ 'x-api-key': key }, 'what is my name?').expect(200)
    expect(stranger.body.output.recalled).toEqual([])
    expect(stranger.body.output.episodes).toEqual([])
    expect(JSON.stringify(stranger.body.output)).not.toContain('Ada')
  })

  it("keeps a summary of each finished thread for its principal (episodic memory), recalled in later threads", async () => {
    const carol = { authorization: token('carol') }
    const first = await say(carol, 'I live in Lyon').expect(200)
    const memory = app.make('memory').forOwner('user:carol')
    // A summary is stored once its run has returned.
    await settleEpisodes()
    const [episode] = await memory.episodes()
    expect(episode).toMatchObject({ threadId: first.body.thread_id, agent: 'AssistantAgent', route: '/assistant' })
    expect(episode.summary).toContain('Lyon')

    // A second turn of the same thread replaces its summary; a new thread recalls it.
    await say(carol, 'I like jazz', first.body.thread_id).expect(200)
    await settleEpisodes()
    expect(await memory.episodes()).toHaveLength(1)
    const later = await say(carol, 'where do I live and what music do I like?').expect(200)
    expect(later.body.output.recalled).toEqual(expect.arrayContaining(['The user lives in Lyon', 'The user likes jazz']))
    expect(later.body.output.episodes.length).toBeGreaterThan(0)
    await settleEpisodes()
    expect(await memory.episodes()).toHaveLength(2)
  })
})
