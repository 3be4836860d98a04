import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { discoverConfigFiles, loadConfig } from '../../../framework/config'
import { runCli } from '../../../framework/console/kernel'
import { Output } from '../../../framework/console/output'
import { createLogger } from '../../../framework/logger'
import { loadMcpServers, redactMcpServer } from '../../../framework/mcp/mcp_config'
import type { McpConfig, McpServerConfig } from '../../../framework/mcp/types'

const DEFAULTS: McpConfig['defaults'] = {
  required: false,
  callTimeoutMs: 30_000,
  initTimeoutMs: 10_000,
  maxMessageBytes: 4 * 1024 * 1024,
  restart: { enabled: true, maxRetries: 10, baseDelayMs: 500, maxDelayMs: 30_000 },
}

function mcpConfig(overrides: Partial<McpConfig> = {}): McpConfig {
  return {
    file: 'mcp.json',
    servers: {},
    defaults: DEFAULTS,
    stderr: { maxLineBytes: 4096, linesPerSecond: 50 },
    expose: { http: true, path: '/mcp', middleware: ['auth'] },
    ...overrides,
  }
}

let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'langvel-mcp-config-'))
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

function writeFile(content: unknown, file = 'mcp.json'): void {
  mkdirSync(join(root, file, '..'), { recursive: true })
  writeFileSync(join(root, file), typeof content === 'string' ? content : JSON.stringify(content, null, 2))
}

function load(overrides: Partial<McpConfig> = {}, env: NodeJS.ProcessEnv = {}) {
  return loadMcpServers(mcpConfig(overrides), { basePath: root, env })
}

/** The message of the E_INVALID_CONFIG that loading throws. */
function failure(overrides: Partial<McpConfig> = {}, env: NodeJS.ProcessEnv = {}): string {
  try {
    load(overrides, env)
  } catch (error) {
    expect(error).toMatchObject({ code: 'E_INVALID_CONFIG' })
    return (error as Error).message
  }
  throw new Error('expected E_INVALID_CONFIG')
}

/** The problem reported for one `mcpServers` entry written to mcp.json. */
function entryFailure(entry: unknown, env: NodeJS.ProcessEnv = {}): string {
  writeFile({ mcpServers: { github: entry } })
  return failure({}, env)
}

describe('loadMcpServers', () => {
  it('reads a pasted Claude Desktop file with a stdio and a URL server, ignoring the keys of other clients', () => {
    writeFile({
      globalShortcut: 'Ctrl+Space',
      mcpServers: {
        filesystem: {
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-filesystem', '/Users/me/Desktop'],
          env: { LOG_LEVEL: 'debug' },
          cwd: 'tools',
          autoApprove: ['read_file'],
          alwaysAllow: [],
          disabled: false,
        },
        remote: { type: 'streamable-http', url: 'https://mcp.example.com/mcp', headers: { 'X-Team': 'core' }, timeout: 60 },
      },
    })
    expect(load()).toEqual([
      {
        name: 'filesystem',
        source: 'mcp.json',
        transport: 'stdio',
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-filesystem', '/Users/me/Desktop'],
        env: { LOG_LEVEL: 'debug' },
        cwd: join(root, 'tools'),
        ...DEFAULTS,
        templates: { args: ['-y', '@modelcontextprotocol/server-filesystem', '/Users/me/Desktop'] },
      },
      { name: 'remote', source: 'mcp.json', transport: 'http', url: 'https://mcp.example.com/mcp', headers: { 'X-Team': 'core' }, ...DEFAULTS, templates: { url: 'https://mcp.example.com/mcp' } },
    ])
  })

  it('accepts the transport types other clients write: stdio, http, streamable-http and streamableHttp', () => {
    writeFile({
      mcpServers: {
        a: { type: 'stdio', command: 'a' },
        b: { type: 'http', url: 'http://127.0.0.1:3001/mcp' },
        c: { type: 'streamable-http', url: 'http://127.0.0.1:3002/mcp' },
        d: { type: 'streamableHttp', url: 'http://127.0.0.1:3003/mcp' },
      },
    })
    expect(load().map((server) => [server.name, server.transport])).toEqual([['a', 'stdio'], ['b', 'http'], ['c', 'http'], ['d', 'http']])
  })

  it('treats a missing file as no servers and still loads the servers of config/mcp.ts', () => {
    expect(load()).toEqual([])
    const [server] = load({ servers: { local: { command: 'node', args: ['server.js'] } } })
    expect(server).toMatchObject({ name: 'local', source: 'config/mcp.ts', transport: 'stdio', command: 'node', args: ['server.js'], env: {} })
  })

  it('lists the servers of the file, then those of config/mcp.ts, each in declaration order', () => {
    writeFile({ mcpServers: { zeta: { command: 'z' }, alpha: { command: 'a' } } })
    const servers = load({ servers: { omega: { url: 'https://o.example.com/mcp' }, beta: { command: 'b' } } })
    expect(servers.map((server) => `${server.source}:${server.name}`)).toEqual(['mcp.json:zeta', 'mcp.json:alpha', 'config/mcp.ts:omega', 'config/mcp.ts:beta'])
  })

  it('reads the configured file and names it as the source', () => {
    writeFile({ mcpServers: { docs: { command: 'docs-server' } } }, 'config/mcp.local.json')
    expect(load({ file: 'config/mcp.local.json' })).toEqual([expect.objectContaining({ name: 'docs', source: 'config/mcp.local.json' })])
    writeFile({ mcpServers: { docs: { command: 42 } } }, 'config/mcp.local.json')
    expect(failure({ file: 'config/mcp.local.json' })).toContain('config/mcp.local.json: mcpServers.docs.command: expected a string')
  })

  it('applies config.defaults and the per-server overrides', () => {
    writeFile({
      mcpServers: {
        plain: { command: 'a' },
        strict: { command: 'b', required: true, callTimeoutMs: 5000, initTimeoutMs: 2000, maxMessageBytes: 65_536, restart: { maxRetries: 3, baseDelayMs: 100 } },
        once: { url: 'https://once.example.com/mcp', restart: false },
        again: { command: 'c', restart: true },
      },
    })
    const [plain, strict, once, again] = load({ defaults: { ...DEFAULTS, required: true, callTimeoutMs: 1234 } })
    expect(plain).toMatchObject({ required: true, callTimeoutMs: 1234, initTimeoutMs: 10_000, maxMessageBytes: 4 * 1024 * 1024, restart: DEFAULTS.restart })
    expect(strict).toMatchObject({ required: true, callTimeoutMs: 5000, initTimeoutMs: 2000, maxMessageBytes: 65_536, restart: { enabled: true, maxRetries: 3, baseDelayMs: 100, maxDelayMs: 30_000 } })
    expect(once.restart).toEqual({ ...DEFAULTS.restart, enabled: false })
    expect(again.restart).toEqual({ ...DEFAULTS.restart, enabled: true })
  })

  it('skips a disabled entry without reading it, so it may name unset variables or another transport', () => {
    writeFile({
      mcpServers: {
        off: { command: 'x', env: { TOKEN: '${UNSET_TOKEN}' }, disabled: true },
        legacy: { type: 'sse', url: 'https://old.example.com/sse', disabled: true },
        on: { command: 'y', disabled: false },
      },
    })
    expect(load().map((server) => server.name)).toEqual(['on'])
    expect(entryFailure({ command: 'x', disabled: 'yes' })).toContain('mcp.json: mcpServers.github.disabled: expected true or false')
  })
})

describe('${VAR} substitution', () => {
  it('runs a stdio server in the project root unless it names its own cwd', () => {
    writeFile({ mcpServers: { plain: { command: 'x' }, own: { command: 'y', cwd: '/opt/elsewhere' } } })
    const [plain, own] = load({})
    expect(plain).toMatchObject({ transport: 'stdio', cwd: root })
    expect(own).toMatchObject({ cwd: '/opt/elsewhere' })
  })

  it('replaces ${VAR} in the command, arguments, env values, cwd, URL and header values', () => {
    writeFile({
      mcpServers: {
        github: {
          command: '${TOOLS}/github-mcp',
          args: ['--token=${GITHUB_TOKEN}', '--org', '${ORG}'],
          env: { GITHUB_TOKEN: '${GITHUB_TOKEN}' },
          cwd: '${WORKDIR}',
        },
        search: { url: 'https://${SEARCH_HOST}/mcp?key=${SEARCH_KEY}', headers: { Authorization: 'Bearer ${SEARCH_TOKEN}' } },
      },
    })
    const env = { TOOLS: '/opt/tools', GITHUB_TOKEN: 'ghp_secret', ORG: 'acme', WORKDIR: 'work', SEARCH_HOST: 'search.example.com', SEARCH_KEY: 'k-123', SEARCH_TOKEN: 'tok-456' }
    const [github, search] = load({}, env)
    expect(github).toMatchObject({ command: '/opt/tools/github-mcp', args: ['--token=ghp_secret', '--org', 'acme'], env: { GITHUB_TOKEN: 'ghp_secret' }, cwd: join(root, 'work') })
    expect(search).toMatchObject({ url: 'https://search.example.com/mcp?key=k-123', headers: { Authorization: 'Bearer tok-456' } })
  })

  it('uses the default of ${VAR:-default} when the variable is unset or empty, and the variable when set', () => {
    writeFile({ mcpServers: { api: { url: '${API_URL:-http://127.0.0.1:9000/mcp}', headers: { 'X-Region': '${REGION:-eu}' } } } })
    expect(load({}, {})[0]).toMatchObject({ url: 'http://127.0.0.1:9000/mcp', headers: { 'X-Region': 'eu' } })
    expect(load({}, { API_URL: '', REGION: '' })[0]).toMatchObject({ url: 'http://127.0.0.1:9000/mcp', headers: { 'X-Region': 'eu' } })
    expect(load({}, { API_URL: 'https://api.example.com/mcp', REGION: 'us' })[0]).toMatchObject({ url: 'https://api.example.com/mcp', headers: { 'X-Region': 'us' } })
  })

  it('reads process.env when no env is given', () => {
    writeFile({ mcpServers: { api: { command: 'x', args: ['${LANGVEL_MCP_TEST_ARG}'] } } })
    process.env.LANGVEL_MCP_TEST_ARG = 'from-process'
    try {
      expect(loadMcpServers(mcpConfig(), { basePath: root })[0]).toMatchObject({ args: ['from-process'] })
    } finally {
      delete process.env.LANGVEL_MCP_TEST_ARG
    }
  })

  it('names the server, the field and the variable when a variable is not set', () => {
    const message = entryFailure({ command: 'npx', env: { GITHUB_TOKEN: '${GITHUB_TOKEN}' } })
    expect(message).toContain('mcp.json: mcpServers.github.env.GITHUB_TOKEN: environment variable GITHUB_TOKEN is not set')
    expect(entryFailure({ command: 'npx', args: ['a', '${ORG}'] }, { ORG: '' })).toContain('mcp.json: mcpServers.github.args.1: environment variable ORG is not set')
  })

  it('refuses a malformed reference instead of passing it on as text, without repeating the value', () => {
    for (const value of ['${GITHUB-TOKEN}', 'abc${UNCLOSED', '${A:-${B}}', '${}', 'Bearer ${TOKEN:default}']) {
      const message = entryFailure({ url: 'https://x.example.com/mcp', headers: { Authorization: value } })
      expect(message).toContain('mcp.json: mcpServers.github.headers.Authorization: invalid ${...} reference')
      expect(message).not.toContain(value)
    }
  })
})

describe('invalid configuration', () => {
  it.each([
    ['args that are not an array', { command: 'x', args: '--verbose' }, 'mcp.json: mcpServers.github.args: expected an array of strings'],
    ['an argument that is not a string', { command: 'x', args: ['a', 2] }, 'mcp.json: mcpServers.github.args.1: expected a string'],
    ['env that is not an object', { command: 'x', env: ['A=1'] }, 'mcp.json: mcpServers.github.env: expected an object of strings'],
    ['an env value that is not a string', { command: 'x', env: { PORT: 3000 } }, 'mcp.json: mcpServers.github.env.PORT: expected a string'],
    ['an empty command', { command: '' }, 'mcp.json: mcpServers.github.command: expected a non-empty string'],
    ['a zero timeout', { command: 'x', callTimeoutMs: 0 }, 'mcp.json: mcpServers.github.callTimeoutMs: expected an integer between 1 and 3600000'],
    ['a fractional timeout', { command: 'x', initTimeoutMs: 1.5 }, 'mcp.json: mcpServers.github.initTimeoutMs: expected an integer between 1 and 600000'],
    ['a timeout as a string', { command: 'x', callTimeoutMs: '5000' }, 'mcp.json: mcpServers.github.callTimeoutMs: expected an integer'],
    ['a tiny message limit', { command: 'x', maxMessageBytes: 10 }, 'mcp.json: mcpServers.github.maxMessageBytes: expected an integer between 1024'],
    ['required as a string', { command: 'x', required: 'yes' }, 'mcp.json: mcpServers.github.required: expected true or false'],
    ['an unknown restart key', { command: 'x', restart: { maxRetry: 3 } }, 'mcp.json: mcpServers.github.restart: unknown key maxRetry'],
    ['a negative restart count', { command: 'x', restart: { maxRetries: -1 } }, 'mcp.json: mcpServers.github.restart.maxRetries: expected an integer between 0'],
    ['a restart delay above its maximum', { command: 'x', restart: { baseDelayMs: 5000, maxDelayMs: 1000 } }, 'mcp.json: mcpServers.github.restart: baseDelayMs (5000) is above maxDelayMs (1000)'],
    ['restart as a number', { command: 'x', restart: 3 }, 'mcp.json: mcpServers.github.restart: expected false, true or'],
    ['both command and url', { command: 'x', url: 'https://x.example.com/mcp' }, 'mcp.json: mcpServers.github: has both "command" and "url"'],
    ['neither command nor url', { args: ['x'] }, 'mcp.json: mcpServers.github: needs "command"'],
    ['a URL that is not http(s)', { url: 'ws://x.example.com/mcp' }, 'mcp.json: mcpServers.github.url: expected an http:// or https:// URL'],
    ['a URL that is not a URL', { url: 'x.example.com/mcp' }, 'mcp.json: mcpServers.github.url: expected an http:// or https:// URL'],
    ['an unknown type', { type: 'websocket', url: 'https://x.example.com/mcp' }, 'mcp.json: mcpServers.github.type: expected one of: stdio, http, streamable-http, streamableHttp'],
    ['a type that contradicts the entry', { type: 'stdio', url: 'https://x.example.com/mcp' }, 'mcp.json: mcpServers.github.type: "stdio" does not match the entry, which has a "url"'],
    ['headers on a stdio server', { command: 'x', headers: { A: 'b' } }, 'mcp.json: mcpServers.github.headers: only a server with a "url" takes headers'],
    ['env on a URL server', { url: 'https://x.example.com/mcp', env: { A: 'b' } }, 'mcp.json: mcpServers.github.env: only a server with a "command" takes env'],
    ['an entry that is not an object', 'npx github-mcp', 'mcp.json: mcpServers.github: expected an object'],
  ])('refuses %s, naming the file, the server and the field', (_case, entry, expected) => {
    expect(entryFailure(entry)).toContain(expected)
  })

  it('refuses the SSE transport, saying that only streamable HTTP is supported', () => {
    const message = entryFailure({ type: 'sse', url: 'https://x.example.com/sse' })
    expect(message).toContain('mcp.json: mcpServers.github.type: the SSE transport is not supported: Langvel speaks streamable HTTP only')
  })

  it('refuses a URL with a username or password, which fetch refuses, saying to send credentials in headers, never printing them', () => {
    const advice = 'has a username or password: fetch refuses URLs with credentials; send them in "headers" instead (e.g. "Authorization")'
    for (const url of ['http://user:s3cret-pass@127.0.0.1:9000/mcp', 'https://only-user@mcp.example.com/mcp', 'https://:s3cret-pass@mcp.example.com/mcp']) {
      const message = entryFailure({ url })
      expect(message).toContain(`mcp.json: mcpServers.github.url: ${advice}`)
      expect(message).not.toContain('s3cret-pass')
    }

    // Credentials that come from the environment: neither the password nor the substituted URL is printed.
    const fromEnv = { MCP_URL: 'https://bot:tok-from-env@mcp.example.com/mcp', MCP_PASSWORD: 'pw-from-env' }
    const message = failure({ servers: { search: { url: '${MCP_URL}' }, files: { url: 'https://bot:${MCP_PASSWORD}@files.example.com/mcp' } } }, fromEnv)
    expect(message).toContain(`config/mcp.ts: servers.search.url: ${advice}`)
    expect(message).toContain(`config/mcp.ts: servers.files.url: ${advice}`)
    for (const secret of ['tok-from-env', 'pw-from-env', 'mcp.example.com', 'files.example.com']) expect(message).not.toContain(secret)
  })

  it('refuses a server name that cannot be a metric label or a tool prefix', () => {
    writeFile({ mcpServers: { 'my server': { command: 'x' }, [`s${'x'.repeat(64)}`]: { command: 'y' }, 'ok_name-2': { command: 'z' } } })
    const message = failure()
    expect(message).toContain('mcp.json: mcpServers["my server"]: invalid server name: use letters, digits, _ and - (at most 64 characters)')
    expect(message).toContain(`mcp.json: mcpServers["s${'x'.repeat(64)}"]: invalid server name`)
    expect(message).not.toContain('ok_name-2')
  })

  it('refuses the names that would reach an object prototype where servers are looked up by name', () => {
    writeFile('{ "mcpServers": { "__proto__": { "command": "x" }, "constructor": { "command": "y" } } }')
    const message = failure()
    expect(message).toContain('mcp.json: mcpServers.__proto__: reserved name')
    expect(message).toContain('mcp.json: mcpServers.constructor: reserved name')
  })

  it('refuses a name declared in both mcp.json and config/mcp.ts, naming both places', () => {
    writeFile({ mcpServers: { github: { command: 'a' } } })
    expect(failure({ servers: { github: { command: 'b' } } })).toContain(
      'mcp.json: mcpServers.github and config/mcp.ts: servers.github: the server "github" is declared in both',
    )
  })

  it('names config/mcp.ts as the source of a bad server declared in code', () => {
    expect(failure({ servers: { local: { command: 'node', args: 'server.js' } } })).toContain('config/mcp.ts: servers.local.args: expected an array of strings')
  })

  it('names the file and the line and column of invalid JSON', () => {
    writeFile('{\n  "mcpServers": {\n    "github": { "command": "npx", }\n  }\n}\n')
    expect(failure()).toMatch(/mcp\.json: not valid JSON at line 3, column 35: /)
    writeFile('{\n  "mcpServers": ')
    expect(failure()).toContain('mcp.json: not valid JSON at line 2, column 17: Unexpected end of JSON input')
  })

  it('refuses a file whose top level or mcpServers is not an object', () => {
    writeFile('[]')
    expect(failure()).toContain('mcp.json: expected a JSON object with "mcpServers"')
    writeFile({ mcpServers: [{ command: 'x' }] })
    expect(failure()).toContain('mcp.json: mcpServers: expected an object of servers by name')
  })

  it('ignores top-level keys other than mcpServers, and a file without mcpServers gives no servers', () => {
    writeFile({ servers: { github: { command: 'x' } }, inputs: [] })
    expect(load()).toEqual([])
  })

  it('lists every problem of both sources in one error', () => {
    writeFile({ mcpServers: { a: { command: 'x', args: 'y' }, b: { url: 'ftp://b' } } })
    const message = failure({ servers: { c: { command: 'z', required: 1 } } })
    expect(message).toContain('Invalid configuration (3 problems)')
    expect(message).toContain('mcp.json: mcpServers.a.args')
    expect(message).toContain('mcp.json: mcpServers.b.url')
    expect(message).toContain('config/mcp.ts: servers.c.required')
  })
})

describe('redactMcpServer', () => {
  const secrets = { GITHUB_TOKEN: 'ghp_topsecret1', DB_PASSWORD: 'dbpw-hunter2', SEARCH_KEY: 'searchkey-789', HEADER_TOKEN: 'hdr-tok-000' }

  it('hides env and header values, substituted arguments and URL parts, and credentials in arguments', () => {
    writeFile({
      mcpServers: {
        github: {
          command: 'github-mcp',
          args: ['--token=${GITHUB_TOKEN}', '--db', 'postgres://app:${DB_PASSWORD}@db.internal/app', '--literal', 'mysql://root:literalpw@db/x', '--org', 'acme'],
          env: { LINEAR_KEY: 'literal-in-file-123', GITHUB_TOKEN: '${GITHUB_TOKEN}' },
        },
        search: { url: 'https://search.example.com/mcp?key=${SEARCH_KEY}', headers: { Authorization: 'Bearer ${HEADER_TOKEN}', 'X-Plain': 'literal-header-456' } },
      },
    })
    const [github, search] = load({}, secrets).map(redactMcpServer)
    const shown = JSON.stringify([github, search])
    for (const secret of [...Object.values(secrets), 'literal-in-file-123', 'literalpw', 'literal-header-456']) expect(shown).not.toContain(secret)
    expect(github).toEqual({
      name: 'github',
      source: 'mcp.json',
      transport: 'stdio',
      command: 'github-mcp',
      args: ['--token=<redacted>', '--db', 'postgres://app:[redacted]@db.internal/app', '--literal', 'mysql://root:[redacted]@db/x', '--org', 'acme'],
      env: { LINEAR_KEY: '<redacted>', GITHUB_TOKEN: '<redacted>' },
      cwd: root,
      ...DEFAULTS,
    })
    expect(search).toMatchObject({ transport: 'http', url: 'https://search.example.com/mcp?key=<redacted>', headers: { Authorization: '<redacted>', 'X-Plain': '<redacted>' } })
    expect(search).not.toHaveProperty('templates')
  })

  it('masks credentials in a server built without templates (not loaded from a file)', () => {
    const server: McpServerConfig = {
      name: 'manual',
      source: 'config/mcp.ts',
      transport: 'stdio',
      command: 'x',
      args: ['--dsn', 'postgres://app:manualpw1@db/x', '--name', 'plain'],
      env: { API: 'manual-env-secret' },
      ...DEFAULTS,
    }
    const shown = redactMcpServer(server)
    expect(JSON.stringify(shown)).not.toMatch(/manualpw1|manual-env-secret/)
    expect(shown.args).toEqual(['--dsn', 'postgres://app:[redacted]@db/x', '--name', 'plain'])

    // Loading refuses a URL with credentials; a server built in code may still hold one.
    const remote: McpServerConfig = { name: 'remote', source: 'config/mcp.ts', transport: 'http', url: 'https://user:urlpass99@search.example.com/mcp', headers: {}, ...DEFAULTS }
    expect(redactMcpServer(remote)).toMatchObject({ url: 'https://user:[redacted]@search.example.com/mcp' })
  })
})

describe('config:show', () => {
  const logger = createLogger({ silent: true })

  function capture() {
    const out: string[] = []
    const err: string[] = []
    const sink = (into: string[]) => new Writable({ write: (chunk, _e, cb) => (into.push(String(chunk)), cb()) })
    return { out, err, output: new Output({ stdout: sink(out), stderr: sink(err), colors: false }) }
  }

  it('shows the servers of mcp.json under mcp, redacted', async () => {
    writeFile({ mcpServers: { github: { command: 'npx', args: ['--token=${GITHUB_TOKEN}'], env: { GITHUB_TOKEN: '${GITHUB_TOKEN}' } } } })
    const { out, output } = capture()
    const code = await runCli(['node', 'langvel', 'config:show', '--json'], { output, app: { basePath: root, env: { GITHUB_TOKEN: 'ghp_shown_nowhere' }, logger, loadDotenv: false } })
    expect(code).toBe(0)
    expect(out.join('')).not.toContain('ghp_shown_nowhere')
    const shown = JSON.parse(out.join(''))
    expect(shown.config.mcp.resolved.servers).toEqual([
      expect.objectContaining({ name: 'github', source: 'mcp.json', transport: 'stdio', args: ['--token=<redacted>'], env: { GITHUB_TOKEN: '<redacted>' } }),
      // The example server declared in config/mcp.ts.
      expect.objectContaining({ name: 'notes', source: 'config/mcp.ts', transport: 'stdio', env: { NOTES_FILE: '<redacted>' } }),
    ])
  })

  it('fails on a malformed mcp.json with its E_INVALID_CONFIG, without a stack trace', async () => {
    writeFile('{ "mcpServers": { "github": { "command": "npx" } }')
    const { err, output } = capture()
    const code = await runCli(['node', 'langvel', 'config:show'], { output, app: { basePath: root, env: {}, logger, loadDotenv: false } })
    expect(code).toBe(1)
    const text = err.join('')
    expect(text).toContain('[E_INVALID_CONFIG]')
    expect(text).toContain('mcp.json: not valid JSON at line 1')
    expect(text).not.toMatch(/\n\s+at /)
  })
})

describe('config/mcp.ts', () => {
  const definitions = discoverConfigFiles(join(__dirname, '..', '..', '..', 'config'))

  it('refuses a restart base delay above the maximum delay, and an MCP path without a leading /', () => {
    expect(() => loadConfig(definitions, { MCP_RESTART_BASE_DELAY_MS: '60000', MCP_RESTART_MAX_DELAY_MS: '1000' })).toThrow(/MCP_RESTART_BASE_DELAY_MS=.*is above MCP_RESTART_MAX_DELAY_MS/)
    expect(() => loadConfig(definitions, { MCP_HTTP_PATH: 'mcp' })).toThrow(/MCP_HTTP_PATH=.*expected a path starting with \//)
    expect(loadConfig(definitions, {}).values.mcp).toMatchObject({ file: 'mcp.json', defaults: DEFAULTS })
  })

  describe('MCP_HTTP_MIDDLEWARE', () => {
    const middleware = (value?: string) => (loadConfig(definitions, value === undefined ? {} : { MCP_HTTP_MIDDLEWARE: value }).values.mcp as McpConfig).expose.middleware

    it('is auth when unset or empty, a comma list otherwise, and none means no middleware at all', () => {
      expect(middleware()).toEqual(['auth'])
      expect(middleware('')).toEqual(['auth'])
      expect(middleware('auth:api_key, throttle')).toEqual(['auth:api_key', 'throttle'])
      expect(middleware('none')).toEqual([])
      expect(middleware(' none ')).toEqual([])
    })

    it('refuses none mixed with middleware names, and a list of no names', () => {
      expect(() => middleware(',')).toThrow(/MCP_HTTP_MIDDLEWARE=",": expected middleware names separated by commas, or none for no middleware/)
      expect(() => middleware('none,throttle')).toThrow(/MCP_HTTP_MIDDLEWARE="none,throttle": none means no middleware and cannot be listed with other names/)
      expect(() => middleware('auth, none')).toThrow(/MCP_HTTP_MIDDLEWARE="auth, none": none means no middleware/)
    })

    describe('in production', () => {
      const PRODUCTION = { APP_ENV: 'production', JWT_SECRET_KEY: 'k'.repeat(48), CORS_ORIGINS: 'https://app.example.com' }
      const warnings = (env: Record<string, string>) => loadConfig(definitions, { ...PRODUCTION, ...env }).warnings
      const WARNING = { key: 'MCP_HTTP_MIDDLEWARE', message: '/mcp serves every agent route without authentication (only routes with their own auth keep it): add auth to the list, or set MCP_HTTP_ENABLED=false', severity: 'warning' }

      it('warns when /mcp is served without auth', () => {
        expect(warnings({ MCP_HTTP_MIDDLEWARE: 'none' })).toEqual([WARNING])
        expect(warnings({ MCP_HTTP_MIDDLEWARE: 'throttle' })).toEqual([WARNING])
        expect(warnings({ MCP_HTTP_MIDDLEWARE: 'none', MCP_HTTP_PATH: '/tools' })).toEqual([{ ...WARNING, message: expect.stringMatching(/^\/tools serves every agent route/) }])
      })

      it('does not warn behind auth (with or without a guard), with /mcp off, or outside production', () => {
        expect(warnings({})).toEqual([])
        expect(warnings({ MCP_HTTP_MIDDLEWARE: 'auth:api_key,throttle' })).toEqual([])
        expect(warnings({ MCP_HTTP_MIDDLEWARE: 'none', MCP_HTTP_ENABLED: 'false' })).toEqual([])
        expect(loadConfig(definitions, { MCP_HTTP_MIDDLEWARE: 'none' }).warnings.filter((warning) => warning.key.startsWith('MCP_'))).toEqual([])
      })
    })
  })
})
