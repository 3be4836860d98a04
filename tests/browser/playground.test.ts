import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { Migrator } from '../../framework/database/migrator'
import { Application } from '../../framework/foundation/application'
import { defaultProviders } from '../../framework/foundation/providers'
import type { AgentRunner } from '../../framework/contracts/agent_run'
import { createServer, type HttpServer } from '../../framework/http/server'
import { createLogger } from '../../framework/logger'
import { z } from 'zod'
import { Agent, defineState, reducers, type GraphBuilder } from '../../framework/agents'
import { AgentRunner as Runner } from '../../framework/agents/agent_runner'
import { toolLoop } from '../../framework/llm'
import { defineTool } from '../../framework/tools'
import { fakeManager } from '../unit/llm/helpers'
import { dependencyDescribe } from '../helpers/services'

const ROOT = join(__dirname, '..', '..')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SCREENSHOTS = join(ROOT, 'coverage', 'playground')

/** Skipped without a Chromium, unless services are required (CI), where its absence fails. */
const browserDescribe = dependencyDescribe('Chromium', CHROMIUM, () => existsSync(CHROMIUM))

/**
 * The example application's runner, with streams that can be held open after their first node
 * update until the test lets them go: what the page shows mid-stream is then observable, whatever
 * the timing. The runs themselves are the real ones.
 */
function holdableRunner(base: AgentRunner) {
  let gate: Promise<void> | undefined
  const runner: AgentRunner = {
    routes: () => base.routes(),
    route: (path) => base.route(path),
    invoke: (path, input, options) => base.invoke(path, input, options),
    async stream(path, input, options) {
      const events = await base.stream(path, input, options)
      const held = gate
      if (!held) return events
      return (async function* () {
        let waited = false
        for await (const event of events) {
          yield event
          if (!waited && event.event === 'updates') {
            waited = true
            await held
          }
        }
      })()
    },
    resume: (path, threadId, value, options) => base.resume(path, threadId, value, options),
    resumeStream: base.resumeStream?.bind(base),
    getState: (path, threadId, options) => base.getState(path, threadId, options),
    getHistory: (path, threadId, options) => base.getHistory(path, threadId, options),
    graph: (path) => base.graph(path),
    compiledAgent: base.compiledAgent?.bind(base),
  }
  const hold = () => {
    let release = () => {}
    gate = new Promise<void>((resolve) => (release = resolve))
    return () => {
      gate = undefined
      release()
    }
  }
  return { runner, hold }
}

/*
 * Functions run in the browser are sent as source, so each stands alone and reaches the page through
 * `globalThis` (this test's TypeScript has no DOM types). Functions, not strings: a string would be
 * evaluated in the page, which its CSP forbids.
 */
const outputHas = (text: string) => (globalThis as any).document.getElementById('output').textContent.includes(text)

browserDescribe('the playground in a real browser', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-playground-browser-'))
  let app: Application
  let server: HttpServer
  let url: string
  let browser: Browser
  let page: Page
  let hold: () => () => void
  const requests: string[] = []
  const problems: string[] = []

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true })
    app = Application.create({
      basePath: base,
      loadDotenv: false,
      env: { APP_ENV: 'development', JWT_SECRET_KEY: randomBytes(48).toString('base64url'), STATE_CHECKPOINTER: 'memory', RATE_LIMIT_DRIVER: 'memory', LOG_LEVEL: 'error', MCP_HTTP_ENABLED: 'false' },
      providers: defaultProviders(),
      logger: createLogger({ silent: true }),
    })
    await app.boot()
    await new Migrator(app.make('db'), { directory: join(ROOT, 'database', 'migrations') }).latest()
    const holdable = holdableRunner(app.make('agents'))
    hold = holdable.hold
    server = createServer({ app, runner: holdable.runner, health: { database: 'off', checkpointer: 'off' } })
    url = (await server.listen(0, '127.0.0.1')).url
    const { chromium } = require('playwright-core') as typeof import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    page = await browser.newPage({ viewport: { width: 1360, height: 1000 } })
    page.on('request', (req) => requests.push(req.url()))
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text())
    })
    page.on('pageerror', (error) => problems.push(error.message))
    await page.goto(`${url}/_langvel`)
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.shutdown(1)
    await app?.shutdown()
    rmSync(base, { recursive: true, force: true })
  })

  const choose = async (path: string) => {
    await page.click(`.route-link[data-path="${path}"]`)
    await page.waitForSelector(`#graph[data-path="${path}"] svg`)
  }

  it('lists the routes with their descriptions and draws the chosen graph with mermaid', async () => {
    await page.waitForSelector('.route-link[data-path="echo"]')
    await expect(page.textContent('.route-link[data-path="echo"]')).resolves.toContain('Echoes the query through two nodes')
    await choose('echo')
    const nodes = await page.textContent('#graph svg')
    expect(nodes).toContain('process')
    expect(nodes).toContain('respond')
  })

  it('runs /echo from the generated form and shows the output, then its trace as a timeline of node spans', async () => {
    await choose('echo')
    await page.fill('#input-form [name="query"]', 'hello playground')
    await page.click('#run')
    await page.waitForFunction(outputHas, 'Processed: hello playground')
    await page.waitForSelector('#trace .span-row[data-category="node"]')
    const nodeSpans = await page.$$eval('#trace .span-row[data-category="node"] .span-label', (labels) => labels.map((label) => label.textContent))
    expect(nodeSpans).toEqual(expect.arrayContaining(['node process', 'node respond']))
    await expect(page.$$eval('#trace .span-row[data-category="run"]', (rows) => rows.length)).resolves.toBe(1)
    await page.screenshot({ path: join(SCREENSHOTS, 'echo.png'), fullPage: true })
  })

  it('streams /research: a node update is on screen while the stream is still open, the output only after its end', async () => {
    await choose('research')
    await page.fill('#input-form [name="topic"]', 'graphs')
    const release = hold()
    try {
      await page.click('#stream')
      // The server holds the stream after its first update: the page shows it, and nothing past it.
      await page.waitForSelector('#events li[data-event="updates"]')
      await expect(page.$$eval('#events li[data-event="end"]', (items) => items.length)).resolves.toBe(0)
      await expect(page.textContent('#output')).resolves.toBe('')
      await expect(page.textContent('#status')).resolves.toBe('streaming…')
    } finally {
      release()
    }
    await page.waitForFunction(outputHas, 'Research on graphs')
    const events = await page.$$eval('#events li', (items) => items.map((item) => item.getAttribute('data-event')))
    expect(events[0]).toBe('metadata')
    expect(events.filter((event) => event === 'updates').length).toBeGreaterThanOrEqual(4)
    expect(events[events.length - 1]).toBe('end')
    await page.screenshot({ path: join(SCREENSHOTS, 'research-stream.png'), fullPage: true })
  })

  it('runs /approval, answers its interrupt in the form built from the resume schema, and shows the approved result', async () => {
    await choose('approval')
    await page.fill('#input-form [name="request"]', 'Refund order 42')
    await page.click('#stream')
    await page.waitForSelector('#interrupt:not([hidden])')
    await expect(page.$$eval('#interrupt .resume-block', (blocks) => blocks.length)).resolves.toBe(1)
    await expect(page.textContent('#interrupt .interrupt-value')).resolves.toContain('Approval requested: Refund order 42')
    await expect(page.textContent('#status')).resolves.toBe('interrupted')
    await page.screenshot({ path: join(SCREENSHOTS, 'approval-interrupt.png'), fullPage: true })
    await page.check('#interrupt .resume-form [name="approved"]')
    await page.click('#resume')
    await page.waitForFunction(outputHas, '"status": "approved"')
    await expect(page.textContent('#status')).resolves.toBe('completed')
    // The thread is listed; opening it shows its state and checkpoints.
    await page.click('#threads button')
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#thread-history li').length > 1)
    await expect(page.textContent('#thread-state')).resolves.toContain('"approved"')
    await page.screenshot({ path: join(SCREENSHOTS, 'approval-resumed.png'), fullPage: true })
  })

  it('streams the model and custom events of /code-review, and times its model calls with their tokens in the trace', async () => {
    await choose('code-review')
    await page.fill('#input-form [name="code"]', 'function run(x) { return eval(x) }')
    await page.click('#stream')
    await page.waitForSelector('#events li[data-event="end"]')
    const events = await page.$$eval('#events li', (items) => items.map((item) => item.getAttribute('data-event')))
    expect(events).toEqual(expect.arrayContaining(['messages', 'custom', 'updates']))
    await expect(page.textContent('#events li[data-event="messages"]')).resolves.toMatch(/→ route\(/)
    await page.waitForSelector('#trace .span-row[data-category="model"]')
    await expect(page.textContent('#trace .span-row[data-category="model"] .span-meta')).resolves.toMatch(/ (ms|s) · \d+ in \/ \d+ out tokens$/)
  })

  it('choosing another route during a stream stops it: its thread stays filed under its own route, nothing of it reaches the new page', async () => {
    await choose('research')
    await page.fill('#input-form [name="topic"]', 'switching')
    const release = hold()
    try {
      await page.click('#stream')
      await page.waitForSelector('#events li[data-event="updates"]')
      await choose('echo')
      // The stopped stream files its thread under /research at once (it is this tab's thread of that route).
      await page.waitForFunction(() => (JSON.parse((globalThis as any).sessionStorage.getItem('langvel.playground.threads') || '{}').research || []).length > 0)
      const threads = await page.evaluate(() => JSON.parse((globalThis as any).sessionStorage.getItem('langvel.playground.threads') || '{}'))
      const streamed = threads.research[0] as string
      expect(threads.echo ?? []).not.toContain(streamed)
      await expect(page.$$eval('#events li', (items) => items.length)).resolves.toBe(0)
      await expect(page.textContent('#status')).resolves.toBe('')
      await expect(page.isDisabled('#run')).resolves.toBe(false)
    } finally {
      release()
    }
    // The echo page works on its own: its run, its output, its trace.
    await page.fill('#input-form [name="query"]', 'after switching')
    await page.click('#run')
    await page.waitForFunction(outputHas, 'Processed: after switching')
    await page.waitForSelector('#trace .span-row[data-category="node"]')
    await expect(page.textContent('#trace')).resolves.not.toContain('ResearchAgent')
    await expect(page.$$eval('#events li[data-event="updates"]', (items) => items.length)).resolves.toBe(0)
  })

  it('loads nothing from outside the server and logs no error (the CSP lets the page work)', async () => {
    // A page of its own: what it loads does not depend on the tests before.
    const own = await browser.newPage({ viewport: { width: 1200, height: 900 } })
    const seen: string[] = []
    const errors: string[] = []
    own.on('request', (req) => seen.push(req.url()))
    own.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    own.on('pageerror', (error) => errors.push(error.message))
    try {
      await own.goto(`${url}/_langvel`)
      await own.click('.route-link[data-path="echo"]')
      await own.waitForSelector('#graph[data-path="echo"] svg')
      await own.fill('#input-form [name="query"]', 'offline')
      await own.click('#run')
      await own.waitForFunction(outputHas, 'Processed: offline')
      await own.waitForSelector('#trace .span-row[data-category="node"]')
      const paths = seen.map((address) => new URL(address).pathname)
      expect(paths).toEqual(expect.arrayContaining(['/_langvel', '/_langvel/assets/mermaid.min.js', '/_langvel/api/routes', '/agents/echo']))
      const origins = new Set(seen.filter((address) => !address.startsWith('data:')).map((address) => new URL(address).origin))
      expect([...origins]).toEqual([url])
      expect(errors).toEqual([])
    } finally {
      await own.close()
    }
    // Nor did the shared page, through every test above.
    expect([...new Set(requests.filter((address) => !address.startsWith('data:')).map((address) => new URL(address).origin))]).toEqual([url])
    expect(problems).toEqual([])
  })
})

/* A route whose input has a list, a nullable field and nested optional objects, and one whose tool calls wait for approval in parallel. */
const FormState = defineState({
  tags: z.array(z.string()),
  note: z.string().nullable(),
  options: z.object({ depth: z.number(), extra: z.object({ flag: z.boolean() }).optional() }).optional().default({ depth: 2 }),
  received: z.string().optional(),
})
class FormAgent extends Agent<typeof FormState> {
  state = FormState
  description = 'Shows the input it received'
  build(graph: GraphBuilder<typeof FormState>) {
    return graph.then(this.receive)
  }
  receive(state: { tags: string[]; note: string | null; options?: unknown }) {
    return { received: JSON.stringify({ tags: state.tags, note: state.note, options: state.options }) }
  }
}

const refunded: unknown[] = []
const { llm, script } = fakeManager()
const refund = defineTool({
  name: 'refund',
  description: 'Refund an order',
  schema: z.object({ orderId: z.number().int(), amount: z.number().positive() }),
  requiresApproval: true,
  handler: async (input) => {
    refunded.push(input)
    return { refunded: input.amount }
  },
})
const RefundState = defineState({ messages: reducers.messages() })
class RefundAgent extends Agent<typeof RefundState> {
  state = RefundState
  build(graph: GraphBuilder<typeof RefundState>) {
    return graph.then(toolLoop({ llm, tools: [refund] }))
  }
}

browserDescribe("the playground's forms and parallel interrupts in a real browser", () => {
  let app: Application
  let server: HttpServer
  let url: string
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    app = await Application.create({
      loadDotenv: false,
      env: { APP_ENV: 'development', STATE_CHECKPOINTER: 'memory', LOG_LEVEL: 'error', MCP_HTTP_ENABLED: 'false' },
      providers: defaultProviders(),
      logger: createLogger({ silent: true }),
    }).boot()
    const runner = new Runner({
      routes: [
        { path: '/forms', agent: FormAgent, middleware: [] },
        { path: '/refunds', agent: RefundAgent, middleware: [] },
      ],
      resolveCheckpointer: () => undefined,
      logger: app.logger,
    })
    server = createServer({ app, runner, health: { database: 'off', checkpointer: 'off' } })
    url = (await server.listen(0, '127.0.0.1')).url
    const { chromium } = require('playwright-core') as typeof import('playwright-core')
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    page = await browser.newPage({ viewport: { width: 1360, height: 1000 } })
    await page.goto(`${url}/_langvel`)
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.shutdown(1)
    await app?.shutdown()
  })

  it('builds a list, a null switch and nested optional objects from the schema, with its defaults, and sends what they hold', async () => {
    await page.click('.route-link[data-path="forms"]')
    await page.waitForSelector('#input-form [name="tags"][data-list="string"]')
    await expect(page.textContent('#input-form .field-list')).resolves.toContain('One item per line')
    // The optional object with a default starts included, holding it; its own optional object starts left out.
    await expect(page.isChecked('#input-form [data-include="options"]')).resolves.toBe(true)
    await expect(page.inputValue('#input-form [name="depth"]')).resolves.toBe('2')
    await expect(page.isChecked('#input-form [data-include="extra"]')).resolves.toBe(false)
    await expect(page.isDisabled('#input-form [name="flag"]')).resolves.toBe(true)
    // Leaving the outer object out and back in leaves the inner one as it was: still out.
    await page.uncheck('#input-form [data-include="options"]')
    await expect(page.isDisabled('#input-form [name="depth"]')).resolves.toBe(true)
    await page.check('#input-form [data-include="options"]')
    await expect(page.isDisabled('#input-form [name="depth"]')).resolves.toBe(false)
    await expect(page.isDisabled('#input-form [name="flag"]')).resolves.toBe(true)
    // The required list is sent even when empty: the JSON view shows it.
    await page.click('#tab-json')
    await expect(page.inputValue('#input-json')).resolves.toContain('"tags": []')
    await page.click('#tab-form')
    await page.fill('#input-form [name="tags"]', 'alpha\n\nbeta')
    await page.check('#input-form [data-null-for="note"]')
    await page.click('#run')
    await page.waitForFunction(outputHas, 'received')
    const output = JSON.parse((await page.textContent('#output')) ?? '{}') as { received: string }
    expect(JSON.parse(output.received)).toEqual({ tags: ['alpha', 'beta'], note: null, options: { depth: 2 } })
  })

  it('shows one form per pending interrupt and answers parallel tool approvals by interrupt id', async () => {
    script.reply({ toolCalls: [{ name: 'refund', args: { orderId: 1, amount: 5 }, id: 'call-a' }, { name: 'refund', args: { orderId: 2, amount: 6 }, id: 'call-b' }] }).reply('Refunded both.')
    await page.click('.route-link[data-path="refunds"]')
    await page.click('#tab-json')
    await page.fill('#input-json', JSON.stringify({ messages: [{ role: 'user', content: 'refund orders 1 and 2' }] }))
    await page.click('#run')
    await page.waitForSelector('#interrupt:not([hidden])')
    await expect(page.$$eval('#interrupt .resume-block', (blocks) => blocks.length)).resolves.toBe(2)
    const values = await page.$$eval('#interrupt .interrupt-value', (items) => items.map((item) => item.textContent ?? ''))
    expect(values.join('\n')).toContain('call-a')
    expect(values.join('\n')).toContain('call-b')
    for (const block of await page.$$('#interrupt .resume-block')) await (await block.$('textarea'))!.fill('"approve"')
    await page.click('#resume')
    await page.waitForFunction(outputHas, 'Refunded both.')
    expect(refunded).toEqual(expect.arrayContaining([{ orderId: 1, amount: 5 }, { orderId: 2, amount: 6 }]))
    expect(refunded).toHaveLength(2)
  })
})
