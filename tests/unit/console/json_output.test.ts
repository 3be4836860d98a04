import { cli, scratch } from './cli_harness'

/** Every line of an NDJSON stdout, parsed: a line that is not JSON fails the test. */
const ndjson = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as { event: string; data: Record<string, unknown> })

describe('--json: stdout carries only JSON, status lines go to stderr', () => {
  let project: ReturnType<typeof scratch>
  // Threads outlive one command only in a checkpointer on disk (the scratch project's storage/).
  const env = { STATE_CHECKPOINTER: 'sqlite' }
  const run = (args: string[]) => cli(project.dir, args, env)

  beforeEach(() => {
    project = scratch('langvel-json-')
  })
  afterEach(() => project.cleanup())

  it('agent:run --json prints the result as one document and the thread on stderr', async () => {
    const result = await run(['agent:run', '/echo', '--input', '{"query":"hi"}', '--json'])
    expect(result.code).toBe(0)
    const parsed = JSON.parse(result.stdout)
    expect(parsed).toEqual({
      output: expect.objectContaining({ response: 'Processed: hi' }),
      thread_id: expect.any(String),
      interrupts: [],
      metadata: { agent: 'EchoAgent', path: '/echo' },
    })
    expect(result.stderr).toBe(`info  thread ${parsed.thread_id}\n`)
  })

  it('without --json, agent:run keeps its status lines on stdout after the output', async () => {
    const result = await run(['agent:run', '/echo', '--input', '{"query":"hi"}'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^\{\n[\s\S]*"response": "Processed: hi"[\s\S]*\n\}\ninfo {2}thread \S+\n$/)
    expect(result.stderr).toBe('')
  })

  it('an interrupting agent: agent:run --json shows the interrupt, agent:resume --json finishes the thread', async () => {
    const first = await run(['agent:run', '/approval', '--input', '{"request":"a new laptop"}', '--json'])
    expect(first.code).toBe(0)
    const interrupted = JSON.parse(first.stdout)
    const threadId: string = interrupted.thread_id
    expect(interrupted).toMatchObject({
      output: { status: 'pending' },
      interrupts: [
        {
          id: expect.any(String),
          node: 'approval',
          value: { summary: 'Approval requested: a new laptop' },
          resume: { command: `langvel agent:resume /approval --thread ${threadId} --value '<json>'` },
        },
      ],
    })
    expect(first.stderr.split('\n')).toEqual([
      `info  thread ${threadId}`,
      expect.stringMatching(/^warn {2}interrupted at approval: \{"summary":"Approval requested: a new laptop"/),
      `info  resume with: langvel agent:resume /approval --thread ${threadId} --value '<json>'`,
      '',
    ])

    const resumed = await run(['agent:resume', '/approval', '--thread', threadId, '--value', '{"approved":true}', '--json'])
    expect(resumed.code).toBe(0)
    expect(JSON.parse(resumed.stdout)).toMatchObject({ output: { status: 'approved' }, thread_id: threadId, interrupts: [] })
    expect(resumed.stderr).toBe(`info  thread ${threadId}\n`)
  })

  it('agent:run --stream --json writes one JSON object per stream event, metadata first and end last', async () => {
    const result = await run(['agent:run', '/echo', '--input', '{"query":"hi"}', '--stream', '--json', '--thread', 'stream-1'])
    expect(result.code).toBe(0)
    expect(ndjson(result.stdout)).toEqual([
      { event: 'metadata', data: { agent: 'EchoAgent', path: '/echo', thread_id: 'stream-1', stream_mode: ['updates'] } },
      { event: 'updates', data: { process: expect.any(Object) } },
      { event: 'updates', data: { respond: { response: 'Processed: hi' } } },
      { event: 'end', data: { thread_id: 'stream-1', status: 'completed' } },
    ])
    expect(result.stderr).toBe('info  thread stream-1\n')
  })

  it('agent:run --stream --json stops at an interrupt with an interrupt event; agent:resume --stream --json completes it', async () => {
    const first = await run(['agent:run', '/approval', '--input', '{"request":"a chair"}', '--stream', '--json', '--thread', 'stream-2'])
    expect(first.code).toBe(0)
    const events = ndjson(first.stdout)
    expect(events.map((event) => event.event)).toEqual(['metadata', ...events.slice(1, -2).map(() => 'updates'), 'interrupt', 'end'])
    expect(events.at(-2)).toMatchObject({ event: 'interrupt', data: { thread_id: 'stream-2', interrupts: [{ node: 'approval', value: { request: 'a chair' } }] } })
    expect(events.at(-1)).toEqual({ event: 'end', data: { thread_id: 'stream-2', status: 'interrupted' } })
    expect(first.stderr).toContain('info  thread stream-2\n')
    expect(first.stderr).toContain('info  resume with: langvel agent:resume /approval --thread stream-2')

    const resumed = await run(['agent:resume', '/approval', '--thread', 'stream-2', '--value', '{"approved":false}', '--stream', '--json'])
    expect(resumed.code).toBe(0)
    const resumedEvents = ndjson(resumed.stdout)
    expect(resumedEvents[0]).toMatchObject({ event: 'metadata', data: { thread_id: 'stream-2' } })
    expect(resumedEvents.at(-1)).toEqual({ event: 'end', data: { thread_id: 'stream-2', status: 'completed' } })
    expect(resumedEvents.some((event) => event.event === 'updates' && JSON.stringify(event.data).includes('"status":"rejected"'))).toBe(true)
    expect(resumed.stderr).toBe('info  thread stream-2\n')
  })

  it('a failing run under --json writes its error on stderr and nothing on stdout', async () => {
    const result = await run(['agent:run', '/nope', '--json'])
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'error [E_AGENT_NOT_FOUND] No agent is registered at "/nope"\n' })
  })

  it.each([
    [['route:list', '--json'], expect.arrayContaining([expect.objectContaining({ path: '/approval', agent: 'ApprovalAgent', interrupts: expect.any(Array) })])],
    [['agent:list', '--json'], expect.arrayContaining([{ agent: 'EchoAgent', description: expect.any(String), paths: expect.arrayContaining(['/echo']) }])],
    [['config:show', '--json'], expect.objectContaining({ environment: 'test', config: expect.objectContaining({ checkpointer: expect.any(Object) }) })],
  ])('%j prints one JSON document and nothing else', async (args, expected) => {
    const result = await run(args)
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual(expected)
    expect(result.stderr).toBe('')
  })

  it('agent:graph --json prints the Mermaid diagram inside a document; with --output, the file written', async () => {
    const printed = await run(['agent:graph', '/echo', '--json'])
    expect(printed.code).toBe(0)
    expect(JSON.parse(printed.stdout)).toEqual({ path: '/echo', agent: 'EchoAgent', mermaid: expect.stringContaining('graph TD') })
    expect(printed.stderr).toBe('')

    const file = `${project.dir}/echo.mmd`
    const written = await run(['agent:graph', '/echo', '--output', file, '--json'])
    expect(written.code).toBe(0)
    expect(JSON.parse(written.stdout)).toEqual({ path: '/echo', agent: 'EchoAgent', file })
    expect(written.stderr).toMatch(/^done {2}wrote \S*echo\.mmd\n$/)
  })

  it('make:* --json prints the file it created; the "created" line goes to stderr', async () => {
    const result = await run(['make:tool', 'SearchDocs', '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ kind: 'tool', path: 'app/tools/search_docs_tool.ts', class_name: 'SearchDocsTool' })
    expect(result.stderr).toBe('done  created app/tools/search_docs_tool.ts\n')
  })

  it('key:generate --json names what it wrote but never the key; with --show it prints the key as JSON', async () => {
    const written = await run(['key:generate', '--json'])
    expect(written.code).toBe(0)
    expect(JSON.parse(written.stdout)).toEqual({ name: 'JWT_SECRET_KEY', file: '.env', action: 'set', created: true })
    expect(written.stderr).toBe('done  set JWT_SECRET_KEY in .env (created)\n')

    const shown = await run(['key:generate', '--show', '--json'])
    expect(shown.code).toBe(0)
    expect(JSON.parse(shown.stdout)).toEqual({ key: expect.stringMatching(/^[A-Za-z0-9_-]{80,}$/) })
    expect(shown.stderr).toBe('')
  })
})
