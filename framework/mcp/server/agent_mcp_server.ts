import { randomUUID } from 'node:crypto'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import type { AgentRunner, RunResult } from '../../contracts/agent_run'
import type { RequestContext } from '../../contracts/request_context'
import { E_AGENT_NOT_FOUND, E_VALIDATION } from '../../errors'
import { THREAD_ID_PATTERN } from '../../http/agent_path'
import { validationDetails } from '../../http/controllers/runs_controller'
import { THREAD_ARGUMENT, type AgentTool, type AgentToolCatalog } from './agent_tools'
import type { AgentCallHost } from './call_host'
import { errorResult, runResult } from './tool_results'
import { RESUME_TOOL } from './tool_names'

export interface AgentMcpServerOptions {
  runner: AgentRunner
  catalog: AgentToolCatalog
  host: AgentCallHost
  /** `serverInfo` of the `initialize` answer. */
  info: { name: string; version: string }
}

const INSTRUCTIONS = [
  "Each tool runs one of this application's agents with the arguments as its input.",
  'A result is { status: "completed", thread_id, output }, or { status: "interrupted", thread_id, interrupts } when the agent waits for an answer:',
  `call the "${RESUME_TOOL}" tool with the route, the thread_id and the value the interrupt asks for.`,
  'Pass thread_id to an agent tool to continue that thread.',
].join(' ')

const THREAD_ID = z.string().regex(THREAD_ID_PATTERN, 'must be 1-128 of A-Z a-z 0-9 . _ : -')
const RUN_ARGUMENTS = z.looseObject({ [THREAD_ARGUMENT]: THREAD_ID.optional() })
const RESUME_ARGUMENTS = z.object({
  route: z.string(),
  [THREAD_ARGUMENT]: THREAD_ID,
  value: z.unknown().refine((value) => value !== undefined, 'value is required'),
})

/** One tool call, once its arguments are read. */
type Call =
  | { kind: 'run'; tool: AgentTool; input: Record<string, unknown>; threadId?: string }
  | { kind: 'resume'; tool: AgentTool; threadId: string; value: unknown }

/**
 * An MCP server whose tools are the application's agent routes (see
 * AgentToolCatalog). Built on the SDK's low-level `Server` rather than
 * `McpServer`: the tools already have JSON Schemas (from their zod state, as
 * /openapi.json shows them), and their input is validated once, by the agent
 * runner, as on every other way a run starts; McpServer would want zod shapes
 * and validate a second time with messages of its own.
 *
 * Every call goes through the same AgentRunner as the HTTP API and the CLI,
 * so run-stage middleware, validation, timeouts and the checkpointer apply.
 * The host decides who calls and what else guards a call (call_host.ts).
 * Anything that refuses or fails a run, invalid input included, is a tool
 * result with `isError: true`, never a protocol error; only an unknown tool
 * name is one (InvalidParams), as the MCP specification asks.
 *
 * @example
 * const server = createAgentMcpServer({ runner, catalog, host, info: { name: 'langvel', version: '0.1.0' } })
 * await server.connect(new StdioServerTransport())
 */
export function createAgentMcpServer(options: AgentMcpServerOptions): Server {
  const server = new Server(options.info, { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS })
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: options.catalog.definitions }))
  server.setRequestHandler(CallToolRequestSchema, (request, extra) => callTool(options, request.params.name, request.params.arguments ?? {}, extra.signal))
  return server
}

async function callTool(options: AgentMcpServerOptions, name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult> {
  const { catalog, host } = options
  const tool = name === RESUME_TOOL ? undefined : catalog.tool(name)
  if (name !== RESUME_TOOL && !tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`)
  let context: RequestContext | undefined
  try {
    const call = tool ? runCall(tool, args) : resumeCall(catalog, args)
    context = await host.admit(call.tool.route)
    return runResult(call.tool, await execute(options, call, context, signal))
  } catch (error) {
    return errorResult(host.fail(error, context))
  }
}

/** Thread ownership first (a new thread is claimed, a resumed one must be the caller's), then the run. */
async function execute({ host, runner }: AgentMcpServerOptions, call: Call, context: RequestContext, signal: AbortSignal): Promise<RunResult> {
  const { route } = call.tool
  if (call.kind === 'resume') {
    await host.threads?.assertCanAccess(call.threadId, context.principal)
    return host.run(route, signal, (bounds) => runner.resume(route.path, call.threadId, call.value, { context, ...bounds }))
  }
  const threadId = call.threadId ?? randomUUID()
  await host.threads?.claim(threadId, context.principal, { fresh: call.threadId === undefined })
  return host.run(route, signal, (bounds) => runner.invoke(route.path, call.input, { threadId, context, ...bounds }))
}

function runCall(tool: AgentTool, args: Record<string, unknown>): Call {
  const { [THREAD_ARGUMENT]: threadId, ...input } = parseArguments(RUN_ARGUMENTS, args)
  return { kind: 'run', tool, input, threadId }
}

function resumeCall(catalog: AgentToolCatalog, args: Record<string, unknown>): Call {
  const parsed = parseArguments(RESUME_ARGUMENTS, args)
  const tool = catalog.find(parsed.route)
  if (!tool) throw new E_AGENT_NOT_FOUND(parsed.route)
  return { kind: 'resume', tool, threadId: parsed[THREAD_ARGUMENT], value: parsed.value }
}

function parseArguments<S extends z.ZodType>(schema: S, args: unknown): z.output<S> {
  const parsed = schema.safeParse(args)
  if (!parsed.success) throw new E_VALIDATION('The tool arguments are invalid', { details: validationDetails(parsed.error.issues) })
  return parsed.data
}
