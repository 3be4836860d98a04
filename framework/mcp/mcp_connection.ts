import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { ErrorCode, McpError, ToolListChangedNotificationSchema, type CallToolResult, type GetPromptResult, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv'
import { SpanKind } from '@opentelemetry/api'
import { E_MCP_PROTOCOL, E_MCP_TIMEOUT, E_MCP_TOOL_ERROR, E_MCP_UNAVAILABLE, E_TOOL_INPUT, E_TOOL_NOT_FOUND, isException } from '../errors'
import type { Logger } from '../logger'
import { redactString } from '../logger/redact'
import { abortError } from '../support/abort'
import { backoffDelay } from '../support/backoff'
import { settleWithin } from '../support/deadlines'
import { processAlive } from '../support/processes'
import { activeTracing } from '../tracing/tracing_runtime'
import { GuardedTransport, violation } from './guarded_transport'
import { RequestAborts, limitedFetch } from './limited_fetch'
import type { McpMetrics } from './mcp_metrics'
import { StderrLines } from './stderr_lines'
import type { McpServerConfig, McpServerReport, McpServerStatus, McpStderrSettings, McpToolInfo } from './types'

const VERSION: string = require('../../package.json').version

/** Pages of tools/list read at most: a server that pages forever is not waited on. */
const MAX_TOOL_PAGES = 100
/** stderr lines kept to explain why a server exited. */
const LAST_LINES = 5
/** How long a closed session's child is given to exit before it is killed; the SDK's own close takes up to 4 s. */
const CHILD_EXIT_MS = 5000

/** What an MCP call may be given. */
export interface McpCallOptions {
  /** The run's signal: aborting it cancels the call (and tells the server). */
  signal?: AbortSignal
  /** Time limit of this call; default the server's `callTimeoutMs`. */
  timeoutMs?: number
}

/** A tool call's result: its content blocks, its structured content when it has one, and its text. */
export interface McpToolResult {
  content: CallToolResult['content']
  structuredContent?: Record<string, unknown>
  /** The text blocks joined by newlines (other blocks named in brackets). */
  text: string
}

type Validate = (input: unknown) => string | undefined

/** One call's signal (the caller's, or its time being up), and its time limit. */
interface CallScope {
  signal: AbortSignal
  timeoutMs: number
  /** Starts the call's clock (when its request is sent). */
  arm: () => void
  dispose: () => void
}

/** One live session with a server: its SDK client, and what it told us. */
interface Session {
  client: Client
  guard: GuardedTransport
  stderr?: StderrLines
  tools: McpToolInfo[]
  validators: Map<string, Validate>
  serverInfo?: { name: string; version: string }
  closed: boolean
  /** When it became ready: a session that lived long enough resets the count of failures in a row. */
  readyAt?: number
  /** The HTTP server no longer knows the session (404): a new one is opened at once, without backoff. */
  expired?: boolean
  /** What was being done while it started, for the error if it fails: `initialize`, then `tools/list`. */
  phase: string
}

export interface McpConnectionDependencies {
  logger: Logger
  stderr: McpStderrSettings
  metrics: McpMetrics
}

/**
 * One configured MCP server and its lifecycle: started on first use (or by
 * `start()`), `initialize` completed within `initTimeoutMs`, its tools listed
 * and kept current (`notifications/tools/list_changed`), started again with
 * backoff when it exits or its connection breaks, closed with the
 * application. Every call is bounded by a timeout and the caller's signal,
 * and every failure is one of E_MCP_UNAVAILABLE, E_MCP_PROTOCOL,
 * E_MCP_TIMEOUT, E_MCP_TOOL_ERROR or E_TOOL_INPUT, naming the server.
 *
 * @example
 * const result = await connection.callTool('search', { query: 'langgraph' }, { signal })
 */
export class McpServerConnection {
  readonly name: string
  private state: McpServerStatus = 'idle'
  private session?: Session
  private starting?: Promise<Session>
  private restartTimer?: NodeJS.Timeout
  private nextAttemptAt = 0
  private lastAttemptAt = 0
  private failuresInARow = 0
  private restarts = 0
  private lastError?: Error
  /** Why the server is down, in words that follow "MCP server X is unavailable: ". */
  private lastReason?: string
  private readonly lastLines: string[] = []
  private readonly validator = new AjvJsonSchemaValidator()
  private readonly toolListeners = new Set<() => void>()
  /** The session being opened, so close() can end it instead of waiting for its initialize to time out. */
  private opening?: Session
  /** A failed start's cleanup (its child may take seconds to exit): the next start and close() wait for it, the caller does not. */
  private ending?: Promise<void>

  constructor(
    readonly config: McpServerConfig,
    private readonly deps: McpConnectionDependencies,
  ) {
    this.name = config.name
  }

  get status(): McpServerStatus {
    return this.state
  }

  /** Starts the server unless it runs; resolves once it is ready or has failed (the report says which). Never rejects. */
  async start(): Promise<void> {
    await this.ready().catch(() => undefined)
  }

  /** The server's tools, starting it if needed. */
  async listTools(signal?: AbortSignal): Promise<McpToolInfo[]> {
    return (await this.ready(signal)).tools
  }

  /** Called (without arguments) whenever the server's tool list changes. Returns the unsubscribe function. */
  onToolsChanged(listener: () => void): () => void {
    this.toolListeners.add(listener)
    return () => this.toolListeners.delete(listener)
  }

  /**
   * Calls a tool. The arguments are checked against the tool's input schema
   * before anything is sent (E_TOOL_INPUT); a result flagged `isError` is
   * E_MCP_TOOL_ERROR with the server's text. With tracing on, a `tools/call` CLIENT span.
   */
  callTool(tool: string, args: Record<string, unknown>, options: McpCallOptions = {}): Promise<McpToolResult> {
    const tracing = activeTracing()
    if (!tracing) return this.sendToolCall(tool, args, options)
    const attributes = { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': tool.slice(0, 128), 'langvel.mcp.server': this.name }
    return tracing.inSpan('tools/call', { kind: SpanKind.CLIENT, attributes }, () => this.sendToolCall(tool, args, options))
  }

  private sendToolCall(tool: string, args: Record<string, unknown>, options: McpCallOptions): Promise<McpToolResult> {
    // A tool name from a model is a label only once the server has declared it.
    let label = '_unknown'
    return this.measured(() => label, 'tools/call', options, async (scope) => {
      const session = await this.ready(scope.signal)
      const info = session.tools.find((candidate) => candidate.name === tool)
      if (info) label = tool
      if (!info) {
        const available = session.tools.map((candidate) => candidate.name)
        throw new E_TOOL_NOT_FOUND(tool, { help: `MCP server "${this.name}" has: ${available.join(', ') || 'no tools'}`, details: { server: this.name, available } })
      }
      const problem = this.inputValidator(session, info)(args)
      if (problem) throw new E_TOOL_INPUT(tool, problem, { details: { server: this.name, tool } })
      const result = (await this.request(session, 'tools/call', scope, (requestOptions) =>
        session.client.callTool({ name: tool, arguments: args }, undefined, requestOptions),
      )) as CallToolResult
      const text = contentText(result.content)
      if (result.isError) throw new E_MCP_TOOL_ERROR(this.name, tool, text || 'no details given', { details: { server: this.name, tool, content: result.content } })
      return { content: result.content, structuredContent: result.structuredContent, text }
    })
  }

  /**
   * What is wrong with `args` for `tool` by its input schema, or undefined
   * when they fit (or the server is not running, so the schema is not known:
   * callTool() checks again once it is).
   */
  checkArguments(tool: string, args: unknown): string | undefined {
    const session = this.session
    const info = session?.tools.find((candidate) => candidate.name === tool)
    return session && info ? this.inputValidator(session, info)(args) : undefined
  }

  /** Reads a resource (`notes://readme`). */
  async readResource(uri: string, options: McpCallOptions = {}): Promise<ReadResourceResult> {
    return this.measured(() => 'resources/read', 'resources/read', options, async (scope) => {
      const session = await this.ready(scope.signal)
      return this.request(session, 'resources/read', scope, (requestOptions) => session.client.readResource({ uri }, requestOptions))
    })
  }

  /** Gets a prompt with its arguments filled in. */
  async getPrompt(name: string, args: Record<string, string> = {}, options: McpCallOptions = {}): Promise<GetPromptResult> {
    return this.measured(() => 'prompts/get', 'prompts/get', options, async (scope) => {
      const session = await this.ready(scope.signal)
      return this.request(session, 'prompts/get', scope, (requestOptions) => session.client.getPrompt({ name, arguments: args }, requestOptions))
    })
  }

  /** Round-trip time of a `ping`, in milliseconds; starts the server if it is not running. */
  async ping(options: McpCallOptions = {}): Promise<number> {
    const scope = this.scope('ping', options)
    try {
      const session = await this.ready(scope.signal)
      const started = performance.now()
      await this.request(session, 'ping', scope, (requestOptions) => session.client.ping(requestOptions))
      return performance.now() - started
    } finally {
      scope.dispose()
    }
  }

  report(): McpServerReport {
    const session = this.session
    const error = this.state === 'ready' ? undefined : this.lastError
    return {
      name: this.name,
      transport: this.config.transport,
      status: this.state,
      required: this.config.required,
      tools: session?.tools ?? [],
      serverInfo: session?.serverInfo,
      restarts: this.restarts,
      error: error ? { code: isException(error) ? error.code : 'E_MCP_UNAVAILABLE', message: error.message } : undefined,
    }
  }

  /** Ends the session and the child process (stdin closed, then SIGTERM, then SIGKILL); no restart follows. */
  async close(): Promise<void> {
    this.state = 'stopped'
    clearTimeout(this.restartTimer)
    this.deps.metrics.up.set({ server: this.name }, 0)
    // A start in progress is ended now rather than left to its initialize timeout.
    if (this.opening) await this.end(this.opening)
    if (this.starting) await this.starting.catch(() => undefined)
    if (this.ending) await this.ending
    const session = this.session
    this.session = undefined
    if (session) await this.end(session)
  }

  private async ready(signal?: AbortSignal): Promise<Session> {
    if (signal?.aborted) throw abortError(signal)
    switch (this.state) {
      case 'ready':
        if (this.session) return this.session
        return this.connect()
      case 'starting':
        return raced(this.starting as Promise<Session>, signal)
      case 'idle':
        return raced(this.connect(), signal)
      case 'restarting': {
        const wait = Math.max(0, Math.round(this.nextAttemptAt - Date.now()))
        throw new E_MCP_UNAVAILABLE(this.name, `${this.lastReason ?? 'it stopped'}; it is being started again (next attempt in ${wait} ms)`, {
          details: { server: this.name, retryInMs: wait },
        })
      }
      case 'failed':
        // Given up on after repeated failures: one new attempt at most every maxDelayMs, driven by use.
        if (this.config.restart.enabled && Date.now() - this.lastAttemptAt >= this.config.restart.maxDelayMs) return raced(this.connect(), signal)
        throw new E_MCP_UNAVAILABLE(this.name, this.lastReason ?? 'it could not be started', { cause: this.lastError })
      case 'stopped':
        throw new E_MCP_UNAVAILABLE(this.name, 'the application is shutting down')
    }
  }

  private connect(): Promise<Session> {
    this.state = 'starting'
    this.lastAttemptAt = Date.now()
    const attempt = this.open().then(
      async (session) => {
        if (this.state === 'stopped') {
          await this.end(session)
          throw new E_MCP_UNAVAILABLE(this.name, 'the application is shutting down')
        }
        this.session = session
        this.state = 'ready'
        session.readyAt = Date.now()
        this.lastError = undefined
        this.lastReason = undefined
        this.deps.metrics.up.set({ server: this.name }, 1)
        this.deps.logger.info(`MCP server "${this.name}" is ready`, { tools: session.tools.length, serverInfo: session.serverInfo })
        return session
      },
      (error: unknown) => {
        const failure = isException(error) ? error : new E_MCP_UNAVAILABLE(this.name, transportMessage(error), { cause: error })
        if (this.state !== 'stopped') this.stopped(failure, reasonOf(failure, this.name))
        throw failure
      },
    )
    this.starting = attempt
    attempt.then(
      () => this.clearStarting(attempt),
      () => this.clearStarting(attempt),
    )
    return attempt
  }

  private clearStarting(attempt: Promise<Session>): void {
    if (this.starting === attempt) this.starting = undefined
  }

  /** Starts the process (or opens the HTTP session), completes `initialize` and reads the tool list. */
  private async open(): Promise<Session> {
    const { config } = this
    // Never two children of one server: the last failed start's child is gone first.
    if (this.ending) await this.ending
    const stderr = config.transport === 'stdio' ? this.stderrReader() : undefined
    const aborts = config.transport === 'http' ? new RequestAborts() : undefined
    const transport = this.transport(stderr, aborts)
    const guard = new GuardedTransport(transport, config.maxMessageBytes, { cancelled: (id) => aborts?.abort(id) })
    const client = new Client({ name: 'langvel', version: VERSION }, { capabilities: {} })
    const session: Session = { client, guard, stderr, tools: [], validators: new Map(), closed: false, phase: 'initialize' }
    client.onclose = () => this.sessionClosed(session)
    client.onerror = (error) => {
      this.deps.logger.debug(`MCP server "${this.name}": ${error.message}`)
      // The SDK reports a response stream cut mid-way only here, and the calls waiting on it would wait for their timeouts.
      if (config.transport === 'http' && connectionLost(error)) this.drop(session)
    }
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      void this.refreshTools(session)
    })
    this.opening = session
    try {
      await client.connect(guard, { timeout: config.initTimeoutMs })
      const info = client.getServerVersion()
      session.serverInfo = info ? { name: info.name, version: info.version } : undefined
      session.phase = 'tools/list'
      session.tools = await this.fetchTools(session, config.initTimeoutMs)
      return session
    } catch (error) {
      const ending = this.end(session)
      this.ending = ending.finally(() => {
        if (this.ending === ending) this.ending = undefined
      })
      throw this.startError(error, session)
    } finally {
      if (this.opening === session) this.opening = undefined
    }
  }

  private transport(stderr: StderrLines | undefined, aborts: RequestAborts | undefined): Transport {
    const { config } = this
    if (config.transport === 'http') {
      return new StreamableHTTPClientTransport(new URL(config.url), {
        requestInit: { headers: config.headers },
        fetch: limitedFetch(config.maxMessageBytes, { aborts }),
        // Reconnection is ours (a new session with backoff), not a retry loop inside the transport.
        reconnectionOptions: { maxReconnectionDelay: 30_000, initialReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1.5, maxRetries: 0 },
      })
    }
    const transport = new StdioClientTransport({
      command: config.command,
      args: config.args,
      env: config.env,
      cwd: config.cwd,
      stderr: 'pipe',
      maxBufferSize: config.maxMessageBytes,
    })
    // Read from before the process starts, so nothing it writes early can fill the pipe.
    transport.stderr?.on('data', (chunk: Buffer) => stderr?.push(chunk))
    return transport
  }

  private stderrReader(): StderrLines {
    const logger = this.deps.logger
    return new StderrLines(
      this.deps.stderr,
      (line) => {
        this.lastLines.push(line)
        if (this.lastLines.length > LAST_LINES) this.lastLines.shift()
        logger.info(line, { stream: 'stderr' })
      },
      (count) => logger.warn(`MCP server "${this.name}" wrote ${count} more stderr lines than the log takes; they were skipped`, { skipped: count }),
    )
  }

  private async fetchTools(session: Session, timeoutMs: number): Promise<McpToolInfo[]> {
    const tools: McpToolInfo[] = []
    let cursor: string | undefined
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const result = await session.client.listTools(cursor ? { cursor } : undefined, { timeout: timeoutMs })
      for (const tool of result.tools) {
        tools.push({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema as Record<string, unknown>, outputSchema: tool.outputSchema as Record<string, unknown> | undefined })
      }
      cursor = result.nextCursor
      if (!cursor) break
    }
    return tools
  }

  private async refreshTools(session: Session): Promise<void> {
    if (session.closed) return
    try {
      const tools = await this.fetchTools(session, this.config.callTimeoutMs)
      if (session.closed) return
      session.tools = tools
      session.validators.clear()
      this.deps.logger.info(`MCP server "${this.name}" changed its tools`, { tools: tools.map((tool) => tool.name) })
      for (const listener of this.toolListeners) listener()
    } catch (error) {
      this.deps.logger.warn(`MCP server "${this.name}": could not read its changed tool list: ${messageOf(error)}`)
    }
  }

  private inputValidator(session: Session, info: McpToolInfo): Validate {
    let validate = session.validators.get(info.name)
    if (!validate) {
      try {
        const check = this.validator.getValidator(info.inputSchema as never)
        validate = (input) => {
          const result = check(input)
          return result.valid ? undefined : readableProblem(result.errorMessage)
        }
      } catch (error) {
        throw new E_MCP_PROTOCOL(this.name, 'tools/list', `tool "${info.name}" declares an input schema that cannot be used: ${messageOf(error)}`)
      }
      session.validators.set(info.name, validate)
    }
    return validate
  }

  /** Runs one request of `session` within the call's scope (its time runs from here), and turns its failure into a Langvel error. */
  private async request<T>(session: Session, method: string, scope: CallScope, send: (requestOptions: { signal: AbortSignal; timeout: number }) => Promise<T>): Promise<T> {
    scope.arm()
    try {
      return await send({ signal: scope.signal, timeout: scope.timeoutMs })
    } catch (error) {
      throw this.callError(error, session, method, scope.timeoutMs, scope.signal)
    }
  }

  /**
   * One call's own signal: aborted by the caller's signal, or when the call's
   * time is up (E_MCP_TIMEOUT) once its request is sent (`arm()`); waiting
   * for the server to start is bounded by initTimeoutMs instead. The SDK
   * listens on this signal, never on the caller's, so a run's signal shared
   * by many calls collects no listeners.
   */
  private scope(method: string, options: McpCallOptions): CallScope {
    const controller = new AbortController()
    const timeoutMs = options.timeoutMs ?? this.config.callTimeoutMs
    const caller = options.signal
    const onAbort = () => controller.abort(caller?.reason)
    if (caller?.aborted) onAbort()
    else caller?.addEventListener('abort', onAbort, { once: true })
    let timer: NodeJS.Timeout | undefined
    return {
      signal: controller.signal,
      timeoutMs,
      arm: () => {
        timer ??= setTimeout(() => controller.abort(new E_MCP_TIMEOUT(this.name, method, timeoutMs)), timeoutMs)
      },
      dispose: () => {
        clearTimeout(timer)
        caller?.removeEventListener('abort', onAbort)
      },
    }
  }

  private callError(error: unknown, session: Session, method: string, timeoutMs: number, signal?: AbortSignal): Error {
    if (signal?.aborted) return abortError(signal)
    if (session.guard.fault) return new E_MCP_PROTOCOL(this.name, method, session.guard.fault.reason)
    if (isException(error)) return error
    if (error instanceof McpError) {
      if (error.code === ErrorCode.RequestTimeout) return new E_MCP_TIMEOUT(this.name, method, timeoutMs)
      if (error.code === ErrorCode.ConnectionClosed) return new E_MCP_UNAVAILABLE(this.name, `${this.goneReason(session)} during ${method}`, { cause: error })
      return new E_MCP_PROTOCOL(this.name, method, error.message, { cause: error })
    }
    if (isZodError(error)) return new E_MCP_PROTOCOL(this.name, method, `an invalid ${method} result (${zodSummary(error)})`, { cause: error })
    const broken = violation(error, this.config.maxMessageBytes)
    if (broken) {
      this.drop(session)
      return new E_MCP_PROTOCOL(this.name, method, broken, { cause: error })
    }
    // The transport failed (connection refused, session gone, pipe closed): this session is over.
    if (error instanceof StreamableHTTPError && error.code === 404) session.expired = true
    this.drop(session)
    return new E_MCP_UNAVAILABLE(this.name, transportMessage(error), { cause: error })
  }

  private startError(error: unknown, session: Session): Error {
    if (isException(error)) return error
    const phase = session.phase
    const fault = session.guard.fault
    if (this.state === 'stopped') return new E_MCP_UNAVAILABLE(this.name, 'the application is shutting down')
    if (fault) return new E_MCP_PROTOCOL(this.name, phase, fault.reason, { cause: error })
    if (isZodError(error)) return new E_MCP_PROTOCOL(this.name, phase, `an invalid ${phase} result (${zodSummary(error)})`, { cause: error })
    if (error instanceof McpError && error.code !== ErrorCode.RequestTimeout && error.code !== ErrorCode.ConnectionClosed) {
      return new E_MCP_PROTOCOL(this.name, phase, error.message, { cause: error })
    }
    let reason: string
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) reason = `it did not complete ${phase} within ${this.config.initTimeoutMs} ms`
    else if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) reason = `${this.goneReason(session)} during ${phase}`
    else if ((error as NodeJS.ErrnoException)?.code === 'ENOENT' && this.config.transport === 'stdio') reason = `the command "${this.config.command}" was not found`
    else reason = transportMessage(error)
    const last = this.lastLines.length > 0 ? ` (its last output: ${this.lastLines[this.lastLines.length - 1]})` : ''
    return new E_MCP_UNAVAILABLE(this.name, `${reason}${last}`, { cause: error, details: { server: this.name, stderr: [...this.lastLines] } })
  }

  private goneReason(session: Session): string {
    if (session.guard.fault) return `it broke the protocol (${session.guard.fault.reason})`
    return this.config.transport === 'stdio' ? 'the server process exited' : 'the connection closed'
  }

  /** Ends a session that can no longer be used; the close handler schedules the restart. */
  private drop(session: Session): void {
    if (session.closed) return
    session.client.close().catch(() => undefined)
  }

  private async end(session: Session): Promise<void> {
    session.closed = true
    if (session.guard.inner instanceof StreamableHTTPClientTransport && session.guard.sessionId) {
      // Tell the server the session is over; it may be gone already.
      await settleWithin(session.guard.inner.terminateSession(), 2000)
    }
    await session.client.close().catch(() => undefined)
    // The SDK may have let go of a child that has not exited yet (after a failed initialize): wait for it, then make sure.
    const pid = session.guard.pid
    if (pid !== undefined && !(await exited(pid, CHILD_EXIT_MS))) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Gone in the meantime.
      }
    }
    session.stderr?.end()
  }

  /** The SDK client of `session` closed: the process exited, the pipe broke, or Langvel ended it. */
  private sessionClosed(session: Session): void {
    if (session.closed) return
    session.closed = true
    session.stderr?.end()
    if (this.session !== session) return
    this.session = undefined
    this.deps.metrics.up.set({ server: this.name }, 0)
    if (this.state === 'stopped') return
    const reason = session.expired ? 'the server ended the session' : this.goneReason(session)
    this.deps.logger.warn(`MCP server "${this.name}": ${reason}`, { stderr: [...this.lastLines] })
    // A session that lived a while was a success: a later failure starts the count again.
    if (session.expired || (session.readyAt !== undefined && Date.now() - session.readyAt >= this.config.restart.maxDelayMs)) this.failuresInARow = 0
    this.stopped(new E_MCP_UNAVAILABLE(this.name, reason), reason, session.expired)
  }

  /** The server stopped or could not start: start it again after a backoff, or give up. */
  private stopped(error: Error, reason: string, immediately = false): void {
    this.lastError = error
    this.lastReason = reason
    if (!immediately) this.failuresInARow++
    const policy = this.config.restart
    if (!policy.enabled || this.failuresInARow > policy.maxRetries) {
      this.state = 'failed'
      this.deps.logger.error(`MCP server "${this.name}" is down: ${error.message}`)
      return
    }
    const delay = immediately ? 0 : backoffDelay(this.failuresInARow, policy.baseDelayMs, policy.maxDelayMs)
    this.state = 'restarting'
    this.nextAttemptAt = Date.now() + delay
    clearTimeout(this.restartTimer)
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined
      if (this.state !== 'restarting') return
      this.restarts++
      this.deps.metrics.restarts.inc({ server: this.name })
      this.connect().catch(() => undefined)
    }, delay)
    // A CLI command that is done does not wait for a restart nobody needs.
    this.restartTimer.unref()
  }

  private async measured<T>(label: () => string, method: string, options: McpCallOptions, work: (scope: CallScope) => Promise<T>): Promise<T> {
    const started = performance.now()
    const scope = this.scope(method, options)
    try {
      const result = await work(scope)
      this.deps.metrics.recordCall(this.name, label(), (performance.now() - started) / 1000)
      return result
    } catch (error) {
      this.deps.metrics.recordCall(this.name, label(), (performance.now() - started) / 1000, error)
      throw error
    } finally {
      scope.dispose()
    }
  }
}

/** Waits for `promise`, or rejects as soon as `signal` aborts (the start goes on for the others). */
function raced<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal))
    const onAbort = () => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/** The text blocks of a result joined by newlines; other blocks are named in brackets. */
export function contentText(content: CallToolResult['content'] | undefined): string {
  if (!Array.isArray(content)) return ''
  return content
    .map((block) => {
      if (block.type === 'text') return block.text
      if (block.type === 'image' || block.type === 'audio') return `[${block.type}: ${block.mimeType}]`
      if (block.type === 'resource_link') return `[resource: ${block.uri}]`
      if (block.type === 'resource') return 'text' in block.resource ? String(block.resource.text) : `[resource: ${block.resource.uri}]`
      return `[${(block as { type: string }).type}]`
    })
    .join('\n')
}

/**
 * What went wrong with the transport, in words: the HTTP status the server
 * answered (401 means its headers, such as Authorization, were refused), or
 * the network error's code, rather than the SDK's raw response text.
 */
function transportMessage(error: unknown): string {
  if (error instanceof StreamableHTTPError && typeof error.code === 'number') {
    if (error.code === 401 || error.code === 403) return `the server refused the request (HTTP ${error.code}): check its headers, such as Authorization`
    return `the server answered HTTP ${error.code}`
  }
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code
  if (error instanceof TypeError && typeof code === 'string') return `could not reach the server (${code})`
  // Messages of fetch and the SDK may quote the URL; credentials in it are not repeated.
  return redactString(messageOf(error))
}

/** The SDK's word that an HTTP response stream broke (the server went away mid-answer), unlike one Langvel aborted. */
function connectionLost(error: Error): boolean {
  return /^SSE stream disconnected/.test(error.message) && !/abort/i.test(error.message)
}

/** Whether `pid` is gone within `ms`. */
async function exited(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (processAlive(pid)) {
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return true
}

/** An error's message without the "MCP server X is unavailable: " it may start with. */
function reasonOf(error: Error, server: string): string {
  const unavailable = `MCP server "${server}" is unavailable: `
  if (error.message.startsWith(unavailable)) return error.message.slice(unavailable.length)
  const named = `MCP server "${server}" `
  return error.message.startsWith(named) ? `it ${error.message.slice(named.length)}` : error.message
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function isZodError(error: unknown): error is { issues: Array<{ path: PropertyKey[]; message: string }> } {
  return error instanceof Error && (error.name === 'ZodError' || Array.isArray((error as { issues?: unknown }).issues))
}

function zodSummary(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ')
}

/** Ajv's "data/a must be number, data must have required property 'b'" as "a: must be number; must have required property 'b'". */
function readableProblem(message: string | undefined): string {
  if (!message) return 'the arguments do not match the input schema'
  return message
    .split(', data')
    .map((part, index) => (index === 0 ? part : `data${part}`))
    .map((part) => part.replace(/^data\/([^ ]+) /, (_, path: string) => `${path.replace(/\//g, '.')}: `).replace(/^data /, ''))
    .join('; ')
}
