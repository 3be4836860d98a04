import { createError } from './create_error'

export { Exception, isException } from './exception'
export type { ExceptionOptions } from './exception'
export type { ErrorCode } from './codes'
export { createError } from './create_error'

/* Foundation */
export const E_RUNTIME = createError('E_RUNTIME', 500, (message: string) => message)
export const E_INVALID_CONFIG = createError(
  'E_INVALID_CONFIG',
  500,
  (problems: string[]) => `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  { help: 'Fix the listed keys in your environment or .env file (see docs/CONFIGURATION.md).' },
)
export const E_UNKNOWN_DRIVER = createError(
  'E_UNKNOWN_DRIVER',
  500,
  (kind: string, name: string, available: string[]) =>
    `Unknown ${kind} driver "${name}". Available: ${available.join(', ') || '(none)'}`,
)
export const E_INVALID_NAME = createError('E_INVALID_NAME', 400, (kind: string, name: string, reason: string) =>
  `Invalid ${kind} name ${JSON.stringify(name)}: ${reason}`,
)
export const E_FILE_EXISTS = createError('E_FILE_EXISTS', 409, (path: string) => `${path} already exists`, {
  help: 'Pass --force to overwrite it.',
})
export const E_KEY_EXISTS = createError('E_KEY_EXISTS', 409, (key: string, file: string) => `${key} is already set in ${file}`, {
  help: 'Pass --force to replace it (every token signed with the old key stops working).',
})
export const E_PRODUCTION_GUARD = createError('E_PRODUCTION_GUARD', 400, (action: string) =>
  `Refusing to ${action} in production`,
  { help: 'Pass --force if you really mean it.' },
)
export const E_MIGRATION_FAILED = createError('E_MIGRATION_FAILED', 500, (name: string, reason: string) =>
  `Migration ${name} failed: ${reason}`,
)
export const E_MIGRATION_LOCKED = createError('E_MIGRATION_LOCKED', 409, (seconds: number) =>
  `Another process held the migration lock for more than ${seconds}s`,
  { help: 'If no migration is running, a crashed run left the lock: run `langvel migrate:unlock`.' },
)
export const E_MISSING_STUB = createError('E_MISSING_STUB', 500, (kind: string) => `No stub found for "${kind}"`)
export const E_NOT_MIGRATED = createError('E_NOT_MIGRATED', 500, (what: string) => `${what} do not exist yet`, {
  help: 'Run `langvel migrate` to create them.',
})
export const E_INVALID_STUB = createError('E_INVALID_STUB', 500, (stub: string, reason: string) => `Stub ${stub} is invalid: ${reason}`)
export const E_BUILD_FAILED = createError('E_BUILD_FAILED', 500, (reason: string) => `Build failed: ${reason}`)

/* Input and HTTP */
export const E_VALIDATION = createError('E_VALIDATION', 422, (summary: string) => summary)
export const E_INVALID_INPUT = createError('E_INVALID_INPUT', 400, (message: string) => message)
export const E_BAD_REQUEST = createError('E_BAD_REQUEST', 400, (message: string) => message)
export const E_NOT_FOUND = createError('E_NOT_FOUND', 404, (what: string) => `${what} not found`)
export const E_PAYLOAD_TOO_LARGE = createError('E_PAYLOAD_TOO_LARGE', 413, (limit: number) =>
  `Request body exceeds the limit of ${limit} bytes`,
)
export const E_UNSUPPORTED_MEDIA_TYPE = createError('E_UNSUPPORTED_MEDIA_TYPE', 415, (type: string) =>
  `Unsupported content type ${JSON.stringify(type)}; send application/json`,
)
export const E_OVERLOADED = createError('E_OVERLOADED', 503, () => 'Server is at capacity; retry later')
export const E_SHUTTING_DOWN = createError('E_SHUTTING_DOWN', 503, () => 'The server is shutting down; retry on another instance')
export const E_TIMEOUT = createError('E_TIMEOUT', 504, (seconds: number) => `Run exceeded the timeout of ${seconds}s`)
export const E_ABORTED = createError('E_ABORTED', 499, (reason: string) => `Run aborted: ${reason}`)
export const E_UNAUTHORIZED = createError('E_UNAUTHORIZED', 401, () => 'Unauthenticated')
export const E_FORBIDDEN = createError('E_FORBIDDEN', 403, () => 'Forbidden')
export const E_TOO_MANY_REQUESTS = createError('E_TOO_MANY_REQUESTS', 429, () => 'Too many requests')
/** A dependency a request needs (the rate limiter's or token store's Redis) did not answer. */
export const E_SERVICE_UNAVAILABLE = createError('E_SERVICE_UNAVAILABLE', 503, (what: string) => `${what} is unavailable`)

/* Agents, routes, graphs */
export const E_AGENT_NOT_FOUND = createError('E_AGENT_NOT_FOUND', 404, (path: string) => `No agent is registered at ${JSON.stringify(path)}`)
export const E_ROUTE_INVALID = createError('E_ROUTE_INVALID', 400, (path: string, reason: string) =>
  `Invalid route path ${JSON.stringify(path)}: ${reason}`,
)
export const E_DUPLICATE_ROUTE = createError('E_DUPLICATE_ROUTE', 500, (path: string) => `A route is already registered at ${JSON.stringify(path)}`)
export const E_UNKNOWN_MIDDLEWARE = createError('E_UNKNOWN_MIDDLEWARE', 500, (name: string, available: string[], where: string) =>
  `Unknown middleware "${name}" in ${where}. Registered: ${available.join(', ') || '(none)'}`,
)
export const E_GRAPH_INVALID = createError('E_GRAPH_INVALID', 500, (agent: string, problems: string[]) =>
  `Graph of ${agent} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
)
export const E_BRANCH_UNKNOWN = createError('E_BRANCH_UNKNOWN', 500, (value: unknown, available: string[]) =>
  `Branch selector returned ${JSON.stringify(value)}, which is not a route. Available routes: ${available.join(', ')}`,
)
export const E_LOOP_LIMIT = createError('E_LOOP_LIMIT', 500, (node: string, max: number) =>
  `Loop "${node}" reached its limit of ${max} iterations`,
)
export const E_STEP_LIMIT = createError('E_STEP_LIMIT', 500, (agent: string, max: number) =>
  `${agent} took more than ${max} steps in one run (its recursionLimit)`,
)
export const E_TEAM_LIMIT = createError('E_TEAM_LIMIT', 500, (team: string, max: number) =>
  `Team "${team}" reached its limit of ${max} member turns without finishing`,
)
export const E_THREAD_NOT_FOUND = createError('E_THREAD_NOT_FOUND', 404, (threadId: string) => `Thread ${JSON.stringify(threadId)} not found`)
export const E_THREAD_EXISTS = createError('E_THREAD_EXISTS', 409, (threadId: string) => `Thread ${JSON.stringify(threadId)} already exists`, {
  help: 'Create it with if_exists: "do_nothing" to get the existing thread instead.',
})
// 422, the status LangGraph's own server answers a busy thread with, so its clients recognise it.
export const E_THREAD_BUSY = createError('E_THREAD_BUSY', 422, (threadId: string) => `Thread ${JSON.stringify(threadId)} is already running a run`, {
  help: 'Wait for the run to finish, or send multitask_strategy "enqueue" to have the run wait for the thread.',
})
export const E_NOTHING_TO_RESUME = createError('E_NOTHING_TO_RESUME', 409, (threadId: string) =>
  `Thread ${JSON.stringify(threadId)} has no pending interrupt to resume`,
)
export const E_NOTHING_TO_CONTINUE = createError('E_NOTHING_TO_CONTINUE', 409, (threadId: string, why: string) => `Thread ${JSON.stringify(threadId)} ${why}`)

/* Tools */
export const E_TOOL_TIMEOUT = createError('E_TOOL_TIMEOUT', 504, (tool: string, ms: number) => `Tool "${tool}" timed out after ${ms} ms`)
export const E_TOOL_FAILED = createError('E_TOOL_FAILED', 500, (tool: string, reason: string) => `Tool "${tool}" failed: ${reason}`)
export const E_TOOL_INPUT = createError('E_TOOL_INPUT', 422, (tool: string, summary: string) => `Invalid input for tool "${tool}": ${summary}`)
export const E_TOOL_NOT_FOUND = createError('E_TOOL_NOT_FOUND', 404, (tool: string) => `Tool "${tool}" is not registered`)

/* Models */
export const E_LLM_UNAVAILABLE = createError('E_LLM_UNAVAILABLE', 503, (reason: string) => `Model provider unavailable: ${reason}`)
export const E_LLM_RATE_LIMITED = createError('E_LLM_RATE_LIMITED', 503, (reason: string) => `Model provider rate limit: ${reason}`)
export const E_LLM_BAD_OUTPUT = createError('E_LLM_BAD_OUTPUT', 502, (reason: string) => `Model output invalid: ${reason}`)

/* Retrieval (RAG) */
export const E_INVALID_COLLECTION = createError('E_INVALID_COLLECTION', 400, (name: string, reason: string) =>
  `Invalid collection name ${JSON.stringify(name)}: ${reason}`,
  { help: 'Use 3 to 512 characters of letters, digits, ".", "_" and "-", starting and ending with a letter or digit.' },
)
export const E_COLLECTION_NOT_FOUND = createError('E_COLLECTION_NOT_FOUND', 404, (name: string) => `Collection ${JSON.stringify(name)} does not exist`, {
  help: 'Add documents to it first (`langvel rag:ingest`, or collection.add()).',
})
export const E_EMBEDDINGS_MISMATCH = createError('E_EMBEDDINGS_MISMATCH', 409, (collection: string, built: string, current: string) =>
  `Collection ${JSON.stringify(collection)} was built with ${built} but the configured embeddings are ${current}`,
  { help: 'Search it with the embeddings it was built with (EMBEDDINGS_PROVIDER, EMBEDDINGS_MODEL), or drop it and ingest again.' },
)
export const E_EMBEDDINGS_FAILED = createError('E_EMBEDDINGS_FAILED', 502, (reason: string) => `Embedding provider refused the request: ${reason}`)

/* MCP servers */
export const E_MCP_UNAVAILABLE = createError('E_MCP_UNAVAILABLE', 503, (server: string, reason: string) => `MCP server "${server}" is unavailable: ${reason}`)
export const E_MCP_PROTOCOL = createError('E_MCP_PROTOCOL', 502, (server: string, method: string, reason: string) =>
  `MCP server "${server}" broke the protocol in ${method}: ${reason}`,
)
export const E_MCP_TIMEOUT = createError('E_MCP_TIMEOUT', 504, (server: string, method: string, ms: number) => `MCP server "${server}" did not answer ${method} within ${ms} ms`)
export const E_MCP_SERVER_NOT_FOUND = createError('E_MCP_SERVER_NOT_FOUND', 404, (server: string) => `No MCP server named "${server}" is configured`, {
  help: 'Declare it under `servers` in config/mcp.ts or under "mcpServers" in mcp.json; `langvel mcp:list` shows the configured servers.',
})
export const E_MCP_TOOL_ERROR = createError('E_MCP_TOOL_ERROR', 502, (server: string, tool: string, reason: string) => `Tool "${tool}" of MCP server "${server}" reported an error: ${reason}`)

/* Message bus */
export const E_BUS_FULL = createError('E_BUS_FULL', 503, (topic: string, limit: number) => `Bus topic "${topic}" is full (${limit} messages not yet handled)`, {
  help: 'A subscriber is behind: add subscribers or concurrency, raise BUS_MAX_QUEUE, or publish later (BUS_ON_FULL=wait waits up to BUS_PUBLISH_TIMEOUT_MS).',
})
export const E_BUS_TIMEOUT = createError('E_BUS_TIMEOUT', 504, (topic: string, ms: number) => `No reply on bus topic "${topic}" within ${ms} ms`)
export const E_BUS_CLOSED = createError('E_BUS_CLOSED', 503, () => 'The message bus is closed')
export const E_BUS_HANDLER_FAILED = createError('E_BUS_HANDLER_FAILED', 502, (topic: string, attempts: number, reason: string) =>
  `The handler of bus topic "${topic}" failed ${attempts} time${attempts === 1 ? '' : 's'}: ${reason}`,
  { help: 'The message is dead-lettered: read it with bus.deadLetters(topic).' },
)

/* Run queue */
export const E_QUEUE_FULL = createError('E_QUEUE_FULL', 503, (queue: string, limit: number) => `Run queue "${queue}" is full (${limit} runs waiting)`, {
  help: 'Runs are arriving faster than they finish: raise QUEUE_CONCURRENCY or QUEUE_SYNC_MAX_WAITING, or use QUEUE_DRIVER=bullmq with `langvel queue:work` workers.',
})
export const E_QUEUE_CLOSED = createError('E_QUEUE_CLOSED', 503, (queue: string) => `Run queue "${queue}" is closed`)
export const E_RUN_NOT_FOUND = createError('E_RUN_NOT_FOUND', 404, (runId: string) => `No run ${JSON.stringify(runId)}`)
export const E_RUN_STATE = createError('E_RUN_STATE', 409, (runId: string, why: string) => `Run ${JSON.stringify(runId)} ${why}`)
export const E_RUN_CANCELLED = createError('E_RUN_CANCELLED', 409, (runId: string) => `Run ${JSON.stringify(runId)} was cancelled`)
export const E_RUN_STALLED = createError('E_RUN_STALLED', 500, (runId: string, times: number) => `Run ${JSON.stringify(runId)} stalled too often: the workers holding it stopped ${times} time${times === 1 ? '' : 's'} before it ended`, {
  help: 'Its workers crashed or were killed mid-run (out of memory?). Look at the worker logs; `langvel queue:retry <run_id>` runs it again.',
})

/* Long-term memory */
export const E_MEMORY_ANONYMOUS = createError('E_MEMORY_ANONYMOUS', 401, () => 'Long-term memory needs an authenticated principal: this run has none', {
  help: 'Put the route behind `auth`, or set MEMORY_ALLOW_ANONYMOUS=true to give anonymous runs one shared memory.',
})

/* Run event streams and webhooks */
export const E_INVALID_EVENT_ID = createError('E_INVALID_EVENT_ID', 400, (value: string) => `Invalid event id ${JSON.stringify(value.slice(0, 64))}: expected the id of an event received earlier (such as 1733363200000-0)`, {
  help: 'Send back, as Last-Event-ID, the `id:` of the last event received, unchanged.',
})
export const E_RUN_ENDED = createError('E_RUN_ENDED', 409, (runId: string) => `Run "${runId}" has ended: its event stream takes no more events`)
export const E_RUN_EVENTS_EXPIRED = createError('E_RUN_EVENTS_EXPIRED', 410, (runId: string, why: string) => `The events of run "${runId}" are not available: ${why}`, {
  help: 'Ask for the run\'s state instead; its events are kept for RUN_EVENTS_IDLE_TTL while it runs and RUN_EVENTS_RETENTION after it ended.',
})
export const E_RUN_EVENT_TOO_LARGE = createError('E_RUN_EVENT_TOO_LARGE', 413, (bytes: number, limit: number) => `Run event of ${bytes} bytes exceeds the limit of ${limit} bytes (RUN_EVENTS_MAX_EVENT_BYTES)`)
export const E_WEBHOOK_REFUSED = createError('E_WEBHOOK_REFUSED', 400, (reason: string) => `Webhook destination refused: ${reason}`, {
  help: 'Webhooks go to public http(s) addresses; list a private host in WEBHOOK_ALLOWED_HOSTS to reach it.',
})
export const E_WEBHOOK_FAILED = createError('E_WEBHOOK_FAILED', 502, (reason: string) => `Webhook not delivered: ${reason}`)

/* HTTP protocol (answered for Node's HTTP parser, before a request reaches the kernel) */
export const E_REQUEST_TIMEOUT = createError('E_REQUEST_TIMEOUT', 408, () => 'The request was not received in time')
export const E_HEADERS_TOO_LARGE = createError('E_HEADERS_TOO_LARGE', 431, (limit: number) => `Request headers exceed the limit of ${limit} bytes`)
