import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROOT = join(__dirname, '..', '..')

function run(bin: string, basePath: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, LANGVEL_BASE_PATH: basePath, APP_ENV: 'development', LOG_LEVEL: 'error', NO_COLOR: '1', STATE_CHECKPOINTER: 'sqlite', ...env },
  })
}

describe('agent commands as processes', () => {
  const storage = mkdtempSync(join(tmpdir(), 'langvel-e2e-agents-'))
  const bin = join(ROOT, 'bin', 'langvel')
  afterAll(() => rmSync(storage, { recursive: true, force: true }))

  it('runs the echo agent and prints its output', () => {
    const result = run(bin, storage, ['agent:run', '/echo', '--input', '{"query":"hi"}'])
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('"response": "Processed: hi"')
  })

  it('interrupts the approval agent in one process and resumes it from another', () => {
    const first = run(bin, storage, ['agent:run', '/approval', '--input', '{"request":"a new laptop"}'])
    expect(first.status).toBe(0)
    const threadId = /thread ([0-9a-f-]{36})/.exec(first.stdout)?.[1]
    expect(threadId).toBeDefined()
    expect(first.stderr).toContain('"summary":"Approval requested: a new laptop"')

    const resumed = run(bin, storage, ['agent:resume', '/approval', '--thread', threadId as string, '--value', '{"approved":false}'])
    expect(resumed.status).toBe(0)
    expect(JSON.parse(resumed.stdout.slice(0, resumed.stdout.lastIndexOf('}') + 1))).toMatchObject({ status: 'rejected' })

    const again = run(bin, storage, ['agent:resume', '/approval', '--thread', threadId as string, '--value', '{"approved":true}'])
    expect(again.status).toBe(1)
    expect(again.stderr).toContain('E_NOTHING_TO_RESUME')
  })

  describe('with --json, stdout is only JSON whatever is logged', () => {
    // Info-level logs (the routes' `logging` middleware) go to stderr with the status lines.
    const verbose = { LOG_LEVEL: 'info' }

    it('agent:run --json interrupts the approval agent; agent:resume --json from another process finishes it', () => {
      const first = run(bin, storage, ['agent:run', '/approval', '--input', '{"request":"a desk"}', '--json'], verbose)
      expect(first.status).toBe(0)
      const interrupted = JSON.parse(first.stdout)
      expect(interrupted).toMatchObject({ output: { status: 'pending' }, interrupts: [{ node: 'approval', value: { request: 'a desk' } }] })
      const threadId: string = interrupted.thread_id
      expect(first.stderr).toContain(`info  thread ${threadId}\n`)
      expect(first.stderr).toContain(`info  resume with: langvel agent:resume /approval --thread ${threadId}`)

      const resumed = run(bin, storage, ['agent:resume', '/approval', '--thread', threadId, '--value', '{"approved":true}', '--json'], verbose)
      expect(resumed.status).toBe(0)
      expect(JSON.parse(resumed.stdout)).toMatchObject({ output: { status: 'approved' }, thread_id: threadId, interrupts: [] })
      expect(resumed.stderr).toContain(`info  thread ${threadId}\n`)
    })

    it('agent:run --stream --json writes one JSON object per line, one per event', () => {
      const result = run(bin, storage, ['agent:run', '/approval', '--input', '{"request":"a lamp"}', '--stream', '--json'], verbose)
      expect(result.status).toBe(0)
      const events = result.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { event: string; data: { thread_id?: string } })
      expect(events[0]).toMatchObject({ event: 'metadata', data: { agent: 'ApprovalAgent', path: '/approval' } })
      expect(events.slice(-2).map((event) => event.event)).toEqual(['interrupt', 'end'])
      expect(events.at(-1)?.data).toEqual({ thread_id: events[0].data.thread_id, status: 'interrupted' })
      expect(result.stderr).toContain(`info  thread ${events[0].data.thread_id}\n`)
    })
  })

  it('refuses unknown paths and malformed input with one line and exit 1', () => {
    const unknown = run(bin, storage, ['agent:run', '/nope'])
    expect(unknown.status).toBe(1)
    expect(unknown.stderr.trim()).toBe('error [E_AGENT_NOT_FOUND] No agent is registered at "/nope"')
    const malformed = run(bin, storage, ['agent:run', '/echo', '--input', '{bad'])
    expect(malformed.status).toBe(1)
    expect(malformed.stderr).toContain('[E_INVALID_INPUT] --input is not valid JSON')
  })

  it('writes a self-contained HTML page for a graph', () => {
    const file = join(storage, 'research.html')
    const result = run(bin, storage, ['agent:graph', '/research', '--output', file])
    expect(result.status).toBe(0)
    const html = readFileSync(file, 'utf8')
    expect(html).toContain('searchWeb --&gt; summarize')
    expect(html).not.toMatch(/<script[^>]+src=/)
    expect(html.length).toBeGreaterThan(1_000_000)
  })
})

describe('a new project: make:agent, register the route, run it', () => {
  const project = mkdtempSync(join(tmpdir(), 'langvel-e2e-project-'))
  afterAll(() => rmSync(project, { recursive: true, force: true }))

  it('serves the generated agent through routes/agents.ts with agent:run and lists it in route:list', () => {
    // A project of its own: the framework and CLI copied, dependencies shared, no app code yet.
    for (const entry of ['bin', 'framework', 'config', 'package.json', 'tsconfig.json']) cpSync(join(ROOT, entry), join(project, entry), { recursive: true })
    symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir')
    mkdirSync(join(project, 'routes'))
    const bin = join(project, 'bin', 'langvel')

    const made = run(bin, project, ['make:agent', 'Greeter'])
    expect(made.status).toBe(0)
    expect(made.stdout).toContain('app/agents/greeter_agent.ts')

    writeFileSync(
      join(project, 'routes', 'agents.ts'),
      `import { Route } from '../framework/routing'\nimport { GreeterAgent } from '../app/agents/greeter_agent'\n\nexport default function routes() {\n  Route.agent('/greeter', GreeterAgent).name('greeter')\n}\n`,
    )
    const listed = run(bin, project, ['route:list', '--json'])
    expect(listed.status).toBe(0)
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ path: '/greeter', agent: 'GreeterAgent', name: 'greeter' })])

    const ran = run(bin, project, ['agent:run', '/greeter', '--input', '{"input":"hello"}'])
    expect(ran.stderr).toBe('')
    expect(ran.status).toBe(0)
    expect(ran.stdout).toContain('"output": "You said: hello"')
  })
})
