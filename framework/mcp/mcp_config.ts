import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { z } from 'zod'
import { E_INVALID_CONFIG } from '../errors'
import { redactString } from '../logger/redact'
import type { McpConfig, McpRestartPolicy, McpServerConfig } from './types'

/**
 * Bounds of the per-server numbers. config/mcp.ts validates its MCP_* defaults
 * against the same bounds, so a value accepted in one place is accepted in the
 * other (and no timeout reaches setTimeout above its 2^31 ms limit).
 */
export const MCP_LIMITS = {
  callTimeoutMs: { min: 1, max: 3_600_000 },
  initTimeoutMs: { min: 1, max: 600_000 },
  maxMessageBytes: { min: 1024, max: 512 * 1024 * 1024 },
  maxRetries: { min: 0, max: 1_000_000 },
  baseDelayMs: { min: 1, max: 600_000 },
  maxDelayMs: { min: 1, max: 3_600_000 },
} as const

/** The values of a loaded server as written, before `${VAR}` substitution. */
export interface McpServerTemplates {
  args?: string[]
  url?: string
}

/**
 * A server as loadMcpServers returns it: the contract's config plus its
 * templates, which tell redactMcpServer what came from the environment.
 */
export type LoadedMcpServerConfig = McpServerConfig & { templates: McpServerTemplates }

/** Server names become metric labels and tool-name prefixes. */
const SERVER_NAME = /^[A-Za-z0-9_-]{1,64}$/
/** Names that would reach an object's prototype instead of a key where servers are looked up by name. */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype'])
const CODE_SOURCE = 'config/mcp.ts'
const REDACTED = '<redacted>'
const HELP = 'Fix the listed servers in the MCP config file or in config/mcp.ts (see "MCP servers" in docs/CONFIGURATION.md).'

const TYPES = ['stdio', 'http', 'streamable-http', 'streamableHttp'] as const

function integer(name: keyof typeof MCP_LIMITS) {
  const { min, max } = MCP_LIMITS[name]
  const expected = `expected an integer between ${min} and ${max}`
  return z.number({ error: expected }).int(expected).min(min, expected).max(max, expected)
}

const text = z.string({ error: 'expected a string' }).min(1, 'expected a non-empty string')
const strings = z.record(z.string(), z.string({ error: 'expected a string' }), { error: 'expected an object of strings' })
const flag = z.boolean({ error: 'expected true or false' })

const restartObject = z.strictObject(
  { maxRetries: integer('maxRetries').optional(), baseDelayMs: integer('baseDelayMs').optional(), maxDelayMs: integer('maxDelayMs').optional() },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.join(', ')}: expected maxRetries, baseDelayMs, maxDelayMs` : undefined) },
)

/**
 * One `mcpServers` entry. Keys other clients write (autoApprove, alwaysAllow,
 * timeout...) are stripped rather than refused, so a pasted file loads.
 */
const entrySchema = z.object({
  // `sse` is listed so that it gets its own message below, not "expected one of".
  type: z.enum([...TYPES, 'sse'], { error: `expected one of: ${TYPES.join(', ')}` }).optional(),
  command: text.optional(),
  args: z.array(z.string({ error: 'expected a string' }), { error: 'expected an array of strings' }).optional(),
  env: strings.optional(),
  cwd: text.optional(),
  url: text.optional(),
  headers: strings.optional(),
  required: flag.optional(),
  callTimeoutMs: integer('callTimeoutMs').optional(),
  initTimeoutMs: integer('initTimeoutMs').optional(),
  maxMessageBytes: integer('maxMessageBytes').optional(),
  restart: z.union([z.boolean(), restartObject], { error: 'expected false, true or { maxRetries, baseDelayMs, maxDelayMs }' }).optional(),
})

type Entry = z.infer<typeof entrySchema>

/** Where entries come from, and what is needed to turn them into servers. */
interface Source {
  /** `mcp.json` (the configured file) or `config/mcp.ts`. */
  name: string
  /** The start of every message about it: `mcp.json: mcpServers`. */
  label: string
  entries: Array<[string, unknown]>
}

interface Context {
  basePath: string
  env: NodeJS.ProcessEnv
  defaults: McpConfig['defaults']
  problems: string[]
}

/**
 * Reads the MCP servers of mcp.json (the `mcpServers` format of Claude
 * Desktop, Cursor, VS Code and Cline) and of config/mcp.ts, validated, with
 * `${VAR}` and `${VAR:-default}` replaced from the environment and the
 * defaults of `config.defaults` applied. Servers of the file come first, each
 * source in declaration order; a `disabled: true` entry is skipped unread.
 * Every problem of both sources is listed in one E_INVALID_CONFIG.
 *
 * @example
 * const servers = loadMcpServers(app.config.get('mcp'), { basePath: app.basePath, env: app.env })
 */
export function loadMcpServers(config: McpConfig, options: { basePath: string; env?: NodeJS.ProcessEnv }): LoadedMcpServerConfig[] {
  const problems: string[] = []
  const file: Source = { name: config.file, label: `${config.file}: mcpServers`, entries: readServersFile(config.file, options.basePath, problems) }
  const code: Source = { name: CODE_SOURCE, label: `${CODE_SOURCE}: servers`, entries: Object.entries(config.servers) }

  // Overriding one with the other would hide a server someone expects to run.
  const inFile = new Set(file.entries.map(([name]) => name))
  for (const [name] of code.entries) {
    if (inFile.has(name)) problems.push(`${file.label}${key(name)} and ${code.label}${key(name)}: the server "${name}" is declared in both; keep one`)
  }

  const context: Context = { basePath: options.basePath, env: options.env ?? process.env, defaults: config.defaults, problems }
  const servers: LoadedMcpServerConfig[] = []
  for (const source of [file, code]) {
    for (const [name, raw] of source.entries) {
      const server = loadServer(source, name, raw, context)
      if (server) servers.push(server)
    }
  }
  if (problems.length > 0) throw new E_INVALID_CONFIG(problems, { help: HELP })
  return servers
}

/** The entries under `mcpServers`; none when the file does not exist. */
function readServersFile(file: string, basePath: string, problems: string[]): Array<[string, unknown]> {
  let content: string
  try {
    content = readFileSync(resolve(basePath, file), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    problems.push(`${file}: cannot be read (${(error as Error).message})`)
    return []
  }
  let parsed: unknown
  try {
    // Editors on Windows may save a byte order mark, which JSON.parse refuses.
    parsed = JSON.parse(content.replace(/^\uFEFF/, ''))
  } catch (error) {
    problems.push(`${file}: not valid JSON at ${jsonPosition(content, (error as Error).message)}`)
    return []
  }
  if (!isObject(parsed)) {
    problems.push(`${file}: expected a JSON object with "mcpServers"`)
    return []
  }
  const servers = parsed.mcpServers
  if (servers === undefined) return []
  if (!isObject(servers)) {
    problems.push(`${file}: mcpServers: expected an object of servers by name`)
    return []
  }
  return Object.entries(servers)
}

/** `line 3, column 7: Expected ',' or '}' after property value`, from V8's `... in JSON at position 42`. */
function jsonPosition(content: string, message: string): string {
  const position = /at position (\d+)/.exec(message)
  const offset = position ? Number(position[1]) : content.length
  const before = content.slice(0, offset).split('\n')
  const reason = message.replace(/ in JSON at position \d+.*$/, '')
  return `line ${before.length}, column ${before[before.length - 1].length + 1}: ${reason}`
}

function loadServer(source: Source, name: string, raw: unknown, context: Context): LoadedMcpServerConfig | undefined {
  const at = `${source.label}${key(name)}`
  const problem = (field: string, message: string) => context.problems.push(`${at}${field ? `.${field}` : ''}: ${message}`)
  if (!SERVER_NAME.test(name)) problem('', 'invalid server name: use letters, digits, _ and - (at most 64 characters)')
  else if (RESERVED_NAMES.has(name)) problem('', 'reserved name: choose another')
  if (!isObject(raw)) {
    problem('', 'expected an object')
    return undefined
  }
  if (raw.disabled !== undefined && typeof raw.disabled !== 'boolean') {
    problem('disabled', 'expected true or false')
    return undefined
  }
  // Other clients' way to switch a server off: the entry is not read further, so it may name unset variables.
  if (raw.disabled === true) return undefined

  const parsed = entrySchema.safeParse(raw)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problem(issue.path.join('.'), issue.message)
    return undefined
  }
  const entry = parsed.data
  const transport = transportOf(entry, problem)
  if (!transport) return undefined

  const variables = (field: string, value: string) => substitute(value, context.env, (message) => problem(field, message))
  const settings = {
    name,
    source: source.name,
    required: entry.required ?? context.defaults.required,
    callTimeoutMs: entry.callTimeoutMs ?? context.defaults.callTimeoutMs,
    initTimeoutMs: entry.initTimeoutMs ?? context.defaults.initTimeoutMs,
    maxMessageBytes: entry.maxMessageBytes ?? context.defaults.maxMessageBytes,
    restart: restartPolicy(entry.restart, context.defaults.restart, problem),
  }
  const before = context.problems.length
  if (transport === 'stdio') {
    const args = entry.args ?? []
    const server: LoadedMcpServerConfig = {
      ...settings,
      transport,
      command: variables('command', entry.command as string),
      args: args.map((arg, index) => variables(`args.${index}`, arg)),
      env: mapValues(entry.env ?? {}, (variable, value) => variables(`env.${variable}`, value)),
      templates: { args },
    }
    // Relative paths in `command` and `args` are read from the project root, whatever directory Langvel was started in.
    server.cwd = entry.cwd === undefined ? context.basePath : resolve(context.basePath, variables('cwd', entry.cwd))
    return context.problems.length === before ? server : undefined
  }
  const url = variables('url', entry.url as string)
  if (context.problems.length === before) {
    const refused = urlProblem(url)
    if (refused) problem('url', refused)
  }
  const server: LoadedMcpServerConfig = {
    ...settings,
    transport,
    url,
    headers: mapValues(entry.headers ?? {}, (header, value) => variables(`headers.${header}`, value)),
    templates: { url: entry.url },
  }
  return context.problems.length === before ? server : undefined
}

/** stdio or http, from `command`/`url` and the optional `type`; undefined (with the problem reported) when they disagree. */
function transportOf(entry: Entry, problem: (field: string, message: string) => void): 'stdio' | 'http' | undefined {
  const refuse = (field: string, message: string) => {
    problem(field, message)
    return undefined
  }
  if (entry.type === 'sse') {
    return refuse('type', 'the SSE transport is not supported: Langvel speaks streamable HTTP only (servers usually serve it at /mcp); use "type": "http"')
  }
  if (entry.command !== undefined && entry.url !== undefined) {
    return refuse('', 'has both "command" and "url": a server is either a command to start (stdio) or a URL (streamable HTTP)')
  }
  if (entry.command === undefined && entry.url === undefined) {
    return refuse('', 'needs "command" (a server to start, over stdio) or "url" (a streamable HTTP server)')
  }
  const transport = entry.command !== undefined ? 'stdio' : 'http'
  if (entry.type !== undefined && (entry.type === 'stdio') !== (transport === 'stdio')) {
    return refuse('type', `"${entry.type}" does not match the entry, which has a "${transport === 'stdio' ? 'command' : 'url'}"`)
  }
  const misplaced = transport === 'stdio' ? (['headers'] as const) : (['args', 'env', 'cwd'] as const)
  const wrong = misplaced.filter((field) => entry[field] !== undefined)
  for (const field of wrong) problem(field, transport === 'stdio' ? 'only a server with a "url" takes headers' : `only a server with a "command" takes ${field}`)
  return wrong.length === 0 ? transport : undefined
}

function restartPolicy(value: Entry['restart'], defaults: McpRestartPolicy, problem: (field: string, message: string) => void): McpRestartPolicy {
  if (value === undefined) return { ...defaults }
  if (typeof value === 'boolean') return { ...defaults, enabled: value }
  const policy = { enabled: true, maxRetries: value.maxRetries ?? defaults.maxRetries, baseDelayMs: value.baseDelayMs ?? defaults.baseDelayMs, maxDelayMs: value.maxDelayMs ?? defaults.maxDelayMs }
  if (policy.baseDelayMs > policy.maxDelayMs) problem('restart', `baseDelayMs (${policy.baseDelayMs}) is above maxDelayMs (${policy.maxDelayMs})`)
  return policy
}

/** The body of a reference: `NAME` or `NAME:-default`. */
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s

/**
 * Replaces `${NAME}` and `${NAME:-default}`. An empty variable counts as
 * unset, as everywhere in Langvel's configuration. There is no escape: `${`
 * always starts a reference, so a typo such as `${GITHUB-TOKEN}` is reported
 * instead of reaching the server as text. The message never repeats the value,
 * which may be a secret written in the file.
 */
function substitute(value: string, env: NodeJS.ProcessEnv, report: (message: string) => void): string {
  let result = ''
  let from = 0
  for (let start = value.indexOf('${'); start !== -1; start = value.indexOf('${', from)) {
    const end = value.indexOf('}', start + 2)
    const reference = end === -1 ? null : REFERENCE.exec(value.slice(start + 2, end))
    if (!reference || reference[2]?.includes('${')) {
      report('invalid ${...} reference: write ${NAME} or ${NAME:-default}, NAME made of letters, digits and _')
      return value
    }
    const [, variable, fallback] = reference
    const set = env[variable]
    if (set === undefined || set === '') {
      if (fallback === undefined) {
        report(`environment variable ${variable} is not set`)
        return value
      }
      result += value.slice(from, start) + fallback
    } else {
      result += value.slice(from, start) + set
    }
    from = end + 1
  }
  return result + value.slice(from)
}

/**
 * A server for display (logs, `config:show`): every `env` and `headers`
 * value hidden (their names kept), each `${...}` of the arguments and the URL
 * hidden, and credentials written into any string masked.
 *
 * @example
 * logger.info('mcp server starting', { server: redactMcpServer(server) })
 */
export function redactMcpServer(server: McpServerConfig): Record<string, unknown> {
  const templates = (server as Partial<LoadedMcpServerConfig>).templates
  const settings = {
    required: server.required,
    callTimeoutMs: server.callTimeoutMs,
    initTimeoutMs: server.initTimeoutMs,
    maxMessageBytes: server.maxMessageBytes,
    restart: { ...server.restart },
  }
  const head = { name: server.name, source: server.source, transport: server.transport }
  if (server.transport === 'stdio') {
    // Templates that no longer line up with the arguments (a copy edited after loading) are not trusted.
    const args = templates?.args?.length === server.args.length ? templates.args.map(hideReferences) : server.args
    return {
      ...head,
      command: redactString(server.command),
      args: args.map(redactString),
      env: mapValues(server.env, () => REDACTED),
      ...(server.cwd === undefined ? {} : { cwd: redactString(server.cwd) }),
      ...settings,
    }
  }
  return {
    ...head,
    url: redactString(templates?.url === undefined ? server.url : hideReferences(templates.url)),
    headers: mapValues(server.headers, () => REDACTED),
    ...settings,
  }
}

/** A template with each `${...}` shown as `<redacted>`: what it resolved to may be a secret. */
function hideReferences(template: string): string {
  return template.replace(/\$\{[^}]*\}/g, REDACTED)
}

function mapValues(record: Record<string, string>, map: (key: string, value: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([name, value]) => [name, map(name, value)]))
}

/** `.github`, or `["my server"]` for a name that is not a plain word. */
function key(name: string): string {
  return SERVER_NAME.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Why a server's URL cannot be used, or undefined. The message never repeats
 * the URL: it may hold a secret, written in it or substituted from `${VAR}`.
 */
function urlProblem(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'expected an http:// or https:// URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'expected an http:// or https:// URL'
  // fetch throws on such a URL, and its error would print it, password included.
  if (url.username !== '' || url.password !== '') {
    return 'has a username or password: fetch refuses URLs with credentials; send them in "headers" instead (e.g. "Authorization")'
  }
  return undefined
}
