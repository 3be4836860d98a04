import { z, type ZodType } from 'zod'
import type { AgentRouteInfo } from '../contracts/agent_run'
import { normalizeAgentPath, RUN_ID_PATTERN } from './agent_path'
import { routeSecurity, SECURITY_SCHEMES } from './openapi_security'

export interface OpenApiOptions {
  title: string
  version: string
}

type Schema = Record<string, unknown>

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const json = (schema: Schema) => ({ 'application/json': { schema } })
const errorResponse = (description: string) => ({ description, content: json(ref('Error')) })

/**
 * A route's input schema as JSON Schema (zod 4's converter). Schemas that
 * cannot be represented (transforms, custom checks) degrade to `{}` instead
 * of failing the document.
 *
 * @example
 * inputJsonSchema(z.object({ query: z.string() }))
 */
export function inputJsonSchema(schema: ZodType | undefined): Schema {
  if (!schema) return {}
  try {
    const converted = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema
    delete converted.$schema
    return converted
  } catch {
    return {}
  }
}

/**
 * Builds the OpenAPI 3.1 document of the HTTP API from the registered agent
 * routes and their zod input schemas. Built once at startup and cached.
 *
 * @example
 * const document = buildOpenApiDocument(runner.routes(), { title: 'langvel', version: '0.1.0' })
 */
export function buildOpenApiDocument(routes: readonly AgentRouteInfo[], options: OpenApiOptions): Schema {
  const paths: Record<string, Schema> = {
    '/agents': {
      get: { summary: 'List agent routes', operationId: 'listAgents', responses: { 200: { description: 'Agent routes', content: json(ref('AgentList')) } } },
    },
    '/health/live': { get: { summary: 'Liveness', operationId: 'live', responses: { 200: { description: 'The process answers' } } } },
    '/health/ready': {
      get: { summary: 'Readiness', operationId: 'ready', responses: { 200: { description: 'Ready' }, 503: { description: 'Booting, draining or a required dependency is down' } } },
    },
    '/health': {
      get: { summary: 'Dependency checks', operationId: 'health', responses: { 200: { description: 'All required checks pass' }, 503: { description: 'A required check fails' } } },
    },
    '/metrics': {
      get: { summary: 'Prometheus metrics', operationId: 'metrics', responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, 401: errorResponse('Bearer token required') } },
    },
  }
  /** The background-run endpoints of every route, added once the routes' own paths are known. */
  const runPaths: Record<string, Schema> = {}

  for (const route of routes) {
    const { security, responses: guarded } = routeSecurity(route.middleware)
    // Route middleware runs on every endpoint of the route, reads included.
    const guard = (operation: Schema): Schema => ({ ...operation, ...(security ? { security } : {}), responses: { ...(operation.responses as Schema), ...guarded } })
    const agentPath = normalizeAgentPath(route.path)
    const base = `/agents/${agentPath}`
    const tag = route.name ?? agentPath
    const id = agentPath.replace(/[^a-z0-9]+(.)?/g, (_, next: string | undefined) => (next ?? '').toUpperCase())
    const threadParam = { name: 'thread_id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,127}$' } }
    const runResponses = {
      200: { description: 'Run result (or text/event-stream when streaming)', content: { ...json(ref('RunResult')), 'text/event-stream': { schema: { type: 'string' } } } },
      400: errorResponse('Malformed request'),
      404: errorResponse('Unknown agent or thread'),
      413: errorResponse('Body too large'),
      415: errorResponse('Not JSON'),
      422: errorResponse('Input failed validation'),
      503: errorResponse('At capacity: retry after Retry-After seconds'),
      504: errorResponse('Run timed out'),
    }
    paths[base] = {
      post: guard({
        tags: [tag],
        summary: route.description ?? `Run ${tag}`,
        operationId: `invoke${capitalize(id)}`,
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['input'],
            properties: {
              input: inputJsonSchema(route.inputSchema),
              config: ref('RunConfig'),
              stream: { type: 'boolean' },
              stream_mode: ref('StreamMode'),
            },
          }),
        },
        responses: runResponses,
      }),
    }
    paths[`${base}/graph`] = {
      get: guard({ tags: [tag], summary: 'Mermaid diagram of the graph', operationId: `graph${capitalize(id)}`, responses: { 200: { description: 'Mermaid', content: json(ref('Graph')) } } }),
    }
    paths[`${base}/threads/{thread_id}/state`] = {
      get: guard({ tags: [tag], summary: 'Current thread state', operationId: `state${capitalize(id)}`, parameters: [threadParam], responses: { 200: { description: 'State', content: json(ref('ThreadState')) }, 404: errorResponse('Unknown thread') } }),
    }
    paths[`${base}/threads/{thread_id}/history`] = {
      get: guard({
        tags: [tag],
        summary: 'Thread checkpoints, newest first',
        operationId: `history${capitalize(id)}`,
        parameters: [threadParam, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } }],
        responses: { 200: { description: 'History', content: json({ type: 'object', properties: { thread_id: { type: 'string' }, history: { type: 'array', items: ref('ThreadState') } } }) } },
      }),
    }
    paths[`${base}/threads/{thread_id}/resume`] = {
      post: guard({
        tags: [tag],
        summary: 'Resume an interrupted run with a value',
        operationId: `resume${capitalize(id)}`,
        parameters: [threadParam],
        requestBody: { required: true, content: json({ type: 'object', required: ['value'], properties: { value: resumeValueSchema(route), stream: { type: 'boolean' }, stream_mode: ref('StreamMode') } }) },
        responses: { ...runResponses, 409: errorResponse('Nothing to resume') },
      }),
    }
    Object.assign(runPaths, backgroundRunPaths(base, capitalize(id), guard, tag, inputJsonSchema(route.inputSchema)))
  }
  // As the router decides: an agent registered at exactly `<path>/runs` keeps that URL, whatever the order of the routes.
  for (const [path, item] of Object.entries(runPaths)) if (!(path in paths)) paths[path] = item

  return {
    openapi: '3.1.0',
    info: { title: options.title, version: options.version },
    paths,
    components: { schemas: COMPONENTS, securitySchemes: SECURITY_SCHEMES },
  }
}

/**
 * What a resume may send as `value`: the interrupt's `resumeSchema`, or any
 * of them when the route has several interrupt points (each titled with its
 * path); open when an interrupt point declares none. Beside it, the map form
 * `{ [interruptId]: value }` that answers several pending interrupts at once
 * (several tool calls waiting for approval need it).
 */
function resumeValueSchema(route: AgentRouteInfo): Schema {
  const declared = Object.entries(route.resumeSchemas ?? {})
  if (declared.length === 0) return {}
  const undeclared = route.interrupts.filter((point) => !route.resumeSchemas?.[point])
  const branches: Schema[] = declared.map(([point, schema]) => ({ title: point, ...inputJsonSchema(schema) }))
  if (undeclared.length > 0) branches.push({ title: undeclared.join(', '), description: 'Any value: these interrupt points declare no resumeSchema' })
  const one = branches.length === 1 ? inputJsonSchema(declared[0][1]) : { anyOf: branches }
  const byId: Schema = {
    title: 'by interrupt id',
    description: 'One value per pending interrupt, keyed by its id (the `id` of each listed interrupt); the others keep waiting',
    type: 'object',
    minProperties: 1,
    propertyNames: { pattern: '^[0-9a-f]{32}$' },
    additionalProperties: one,
  }
  return { anyOf: [branches.length === 1 ? { title: declared[0][0], ...one } : one, byId] }
}

/** The background run endpoints of one agent route. */
function backgroundRunPaths(base: string, id: string, guard: (operation: Schema) => Schema, tag: string, input: Schema): Record<string, Schema> {
  const runParam = { name: 'run_id', in: 'path', required: true, schema: { type: 'string', pattern: RUN_ID_PATTERN.source } }
  const run = (description: string) => ({ description, content: json(ref('BackgroundRun')) })
  const notFound = errorResponse('Unknown agent or run')
  return {
    [`${base}/runs`]: {
      post: guard({
        tags: [tag],
        summary: 'Start a background run',
        operationId: `createRun${id}`,
        parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string', minLength: 1, maxLength: 200 } }],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['input'],
            properties: {
              input,
              config: ref('RunConfig'),
              stream_mode: ref('StreamMode'),
              webhook: { type: 'string', format: 'uri' },
              metadata: { type: 'object', properties: { idempotency_key: { type: 'string' } } },
            },
          }),
        },
        responses: {
          200: run('The run already created with this idempotency key'),
          202: { ...run('Accepted: the run is pending'), headers: { Location: { schema: { type: 'string' } } } },
          400: errorResponse('Malformed request, or a webhook destination refused (E_WEBHOOK_REFUSED)'),
          404: errorResponse('Unknown agent or thread'),
          422: errorResponse('Invalid body'),
          503: errorResponse('The queue is full or unavailable'),
        },
      }),
    },
    [`${base}/runs/{run_id}`]: {
      get: guard({ tags: [tag], summary: 'Read a background run', operationId: `showRun${id}`, parameters: [runParam], responses: { 200: run('The run'), 404: notFound } }),
    },
    [`${base}/runs/{run_id}/cancel`]: {
      post: guard({
        tags: [tag],
        summary: 'Cancel a background run',
        operationId: `cancelRun${id}`,
        parameters: [runParam],
        responses: { 202: run('The run, cancelled'), 404: notFound, 409: errorResponse('The run has already ended') },
      }),
    },
    [`${base}/runs/{run_id}/wait`]: {
      get: guard({ tags: [tag], summary: 'Wait for a background run to end', operationId: `waitRun${id}`, parameters: [runParam], responses: { 200: run('The run, ended'), 404: notFound } }),
    },
    [`${base}/runs/{run_id}/stream`]: {
      get: guard({
        tags: [tag],
        summary: 'Stream a background run\'s events (Last-Event-ID resumes)',
        operationId: `streamRun${id}`,
        parameters: [runParam, { name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } }],
        responses: { 200: { description: 'Server-Sent Events until the run ends', content: { 'text/event-stream': { schema: { type: 'string' } } } }, 404: notFound, 410: errorResponse('The run\'s events are gone') },
      }),
    },
  }
}

function capitalize(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1)
}

const INTERRUPT = {
  type: 'object',
  required: ['id', 'value', 'resume'],
  properties: {
    id: { type: 'string' },
    value: {},
    node: { type: 'string' },
    resume: { type: 'object', properties: { method: { const: 'POST' }, url: { type: 'string' } } },
  },
}

const COMPONENTS: Record<string, Schema> = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'trace_id'],
        properties: { code: { type: 'string' }, message: { type: 'string' }, trace_id: { type: 'string' }, details: {} },
      },
    },
  },
  StreamMode: {
    oneOf: [
      { type: 'string', enum: ['values', 'updates', 'messages', 'custom'] },
      { type: 'array', minItems: 1, items: { type: 'string', enum: ['values', 'updates', 'messages', 'custom'] } },
    ],
  },
  RunConfig: { type: 'object', properties: { thread_id: { type: 'string' } }, additionalProperties: true },
  Interrupt: INTERRUPT,
  RunResult: {
    type: 'object',
    required: ['output', 'thread_id', 'interrupts', 'metadata'],
    properties: {
      output: {},
      thread_id: { type: 'string' },
      interrupts: { type: 'array', items: ref('Interrupt') },
      metadata: {
        type: 'object',
        properties: { agent: { type: 'string' }, path: { type: 'string' }, trace_id: { type: 'string' }, duration_ms: { type: 'number' } },
      },
    },
  },
  BackgroundRun: {
    type: 'object',
    required: ['run_id', 'thread_id', 'status', 'created_at'],
    properties: {
      run_id: { type: 'string' },
      thread_id: { type: 'string' },
      agent: { type: 'string' },
      path: { type: 'string' },
      status: { type: 'string', enum: ['pending', 'running', 'success', 'error', 'timeout', 'interrupted', 'cancelled'] },
      output: {},
      interrupts: { type: 'array', items: ref('Interrupt') },
      error: { oneOf: [{ type: 'null' }, { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } }] },
      attempts: { type: 'integer' },
      metadata: { type: 'object' },
      webhook: { type: ['string', 'null'] },
      created_at: { type: 'string', format: 'date-time' },
      started_at: { type: ['string', 'null'], format: 'date-time' },
      ended_at: { type: ['string', 'null'], format: 'date-time' },
      updated_at: { type: 'string', format: 'date-time' },
    },
  },
  ThreadState: {
    type: 'object',
    properties: {
      thread_id: { type: 'string' },
      values: {},
      next: { type: 'array', items: { type: 'string' } },
      interrupts: { type: 'array', items: ref('Interrupt') },
      checkpoint_id: { type: ['string', 'null'] },
      parent_checkpoint_id: { type: ['string', 'null'] },
      created_at: { type: ['string', 'null'] },
      metadata: { type: 'object' },
    },
  },
  Graph: { type: 'object', properties: { path: { type: 'string' }, format: { const: 'mermaid' }, graph: { type: 'string' } } },
  AgentList: {
    type: 'object',
    properties: {
      agents: {
        type: 'array',
        items: {
          type: 'object',
          properties: { path: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' }, input_schema: { type: 'object' } },
        },
      },
    },
  },
}
