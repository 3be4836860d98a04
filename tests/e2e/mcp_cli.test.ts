import { execFileSync, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/*
 * `langvel mcp:list` and `langvel mcp:call` as processes (bin/langvel), in a
 * scratch project whose mcp.json declares the real fixture server. Each
 * server process carries a tag in its arguments, so the test can tell that
 * none is left once the command has exited.
 */

const ROOT = join(__dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'langvel')
const SERVER = join(ROOT, 'tests', 'fixtures', 'mcp', 'server.cjs')

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

function langvel(basePath: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, LANGVEL_BASE_PATH: basePath, APP_ENV: 'development', LOG_LEVEL: 'error', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000)
    child.on('error', reject)
    child.on('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr })
    })
  })
}

/** Living processes (zombies excluded) whose arguments hold `tag`. */
function tagged(tag: string): string[] {
  return execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(tag) && !line.trim().startsWith('Z'))
}

const tag = `--tag=mcp-cli-${randomUUID()}`
const project = mkdtempSync(join(tmpdir(), 'langvel-e2e-mcp-'))
const broken = mkdtempSync(join(tmpdir(), 'langvel-e2e-mcp-broken-'))
writeFileSync(join(project, 'mcp.json'), JSON.stringify({ mcpServers: { fx: { command: process.execPath, args: [SERVER, tag] } } }))
writeFileSync(
  join(broken, 'mcp.json'),
  JSON.stringify({ mcpServers: { fx: { command: process.execPath, args: [SERVER, tag] }, ghost: { command: './no-such-server', restart: false } } }),
)

const runs: Record<string, Run> = {}

beforeAll(async () => {
  // Each command boots the CLI (a few seconds with tsx): run them side by side.
  const commands: Record<string, [string, string[]]> = {
    table: [project, ['mcp:list']],
    json: [project, ['mcp:list', '--json']],
    call: [project, ['mcp:call', 'fx', 'add', '--args', '{"a":2,"b":3}', '--json']],
    badJson: [project, ['mcp:call', 'fx', 'add', '--args', '{"a":2,']],
    badInput: [project, ['mcp:call', 'fx', 'add', '--args', '{"a":"two","b":3}']],
    unknown: [project, ['mcp:call', 'nope', 'add', '--args', '{}']],
    down: [broken, ['mcp:list']],
  }
  const results = await Promise.all(Object.entries(commands).map(async ([name, [dir, args]]) => [name, await langvel(dir, args)] as const))
  for (const [name, run] of results) runs[name] = run
}, 60_000)

afterAll(() => {
  for (const line of tagged(tag)) {
    const pid = Number(line.trim().split(/\s+/)[0])
    if (Number.isInteger(pid)) process.kill(pid, 'SIGKILL')
  }
  rmSync(project, { recursive: true, force: true })
  rmSync(broken, { recursive: true, force: true })
})

describe('langvel mcp:list and mcp:call as processes', () => {
  it('mcp:list shows the server ready and its tools with their arguments', () => {
    const { status, stdout, stderr } = runs.table
    expect(stderr).toBe('')
    expect(status).toBe(0)
    expect(stdout).toMatch(/^fx\s+stdio\s+ready\s+15\s+no\s*$/m)
    expect(stdout).toContain('fx (fixture 1.0.0):')
    expect(stdout).toContain('  add(a: number, b: number)  Adds two numbers.')
    expect(stdout).toContain('  echo(text: string)  Returns its text.')
  })

  it('mcp:list --json prints only JSON, with each input schema', () => {
    const { status, stdout } = runs.json
    expect(status).toBe(0)
    const [server] = JSON.parse(stdout) as Array<{ name: string; status: string; server: unknown; tools: Array<{ name: string; input_schema: Record<string, unknown>; output_schema: unknown }> }>
    expect(server).toMatchObject({ name: 'fx', transport: 'stdio', status: 'ready', server: { name: 'fixture', version: '1.0.0' }, error: null })
    const add = server.tools.find((tool) => tool.name === 'add')
    expect(add?.input_schema).toMatchObject({ type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] })
    expect(add?.output_schema).toMatchObject({ properties: { sum: { type: 'number' } } })
    expect(server.tools).toHaveLength(15)
  })

  it('mcp:list exits 1 and says why when a server cannot start', () => {
    const { status, stdout, stderr } = runs.down
    expect(status).toBe(1)
    expect(stdout).toMatch(/^ghost\s+stdio\s+failed\s+0\s+no\s*$/m)
    expect(stdout).toMatch(/^fx\s+stdio\s+ready\s+15/m)
    expect(stderr).toContain('ghost: MCP server "ghost" is unavailable: the command "./no-such-server" was not found')
  })

  it('mcp:call --json prints the structured result', () => {
    const { status, stdout, stderr } = runs.call
    expect(stderr).toBe('')
    expect(status).toBe(0)
    expect(JSON.parse(stdout)).toEqual({ server: 'fx', tool: 'add', structured_content: { sum: 5 }, text: '5', content: [{ type: 'text', text: '5' }] })
  })

  it('refuses --args that is not JSON, or does not fit the input schema: exit 1, one clear message, no stack trace', () => {
    expect(runs.badJson.status).toBe(1)
    expect(runs.badJson.stdout).toBe('')
    expect(runs.badJson.stderr).toMatch(/^error \[E_INVALID_INPUT\] --args is not valid JSON: /)
    expect(runs.badInput.status).toBe(1)
    expect(runs.badInput.stderr).toMatch(/^error \[E_TOOL_INPUT\] Invalid input for tool "add": a: must be number\n$/)
    for (const run of [runs.badJson, runs.badInput]) expect(run.stderr).not.toMatch(/\n\s+at /)
  })

  it('an unknown server is E_MCP_SERVER_NOT_FOUND', () => {
    expect(runs.unknown.status).toBe(1)
    expect(runs.unknown.stderr).toMatch(/^error \[E_MCP_SERVER_NOT_FOUND\] No MCP server named "nope" is configured\n/)
    expect(runs.unknown.stderr).not.toMatch(/\n\s+at /)
  })

  it('leaves no server process behind once the commands have exited', () => {
    expect(tagged(tag)).toEqual([])
  })
})
