import { z } from 'zod'
import type { AgentRouteInfo } from '../../../framework/contracts/agent_run'
import { buildOpenApiDocument, inputJsonSchema } from '../../../framework/http/openapi'

const route: AgentRouteInfo = {
  path: '/support/billing',
  name: 'billing',
  description: 'Answers billing questions',
  agent: 'BillingAgent',
  middleware: [],
  checkpointer: 'memory',
  interrupts: [],
  tools: [],
  inputSchema: z.object({ question: z.string().min(3), priority: z.enum(['low', 'high']).default('low') }),
}

describe('OpenAPI document', () => {
  it('gives `<path>/runs` to an agent registered there, as the router does, whatever the order of the routes', () => {
    const parent: AgentRouteInfo = { ...route, path: '/a', name: 'a' }
    const child: AgentRouteInfo = { ...route, path: '/a/runs', name: 'a-runs' }
    for (const routes of [[parent, child], [child, parent]]) {
      const document = buildOpenApiDocument(routes, { title: 'test', version: '1.0.0' }) as { paths: Record<string, Record<string, { operationId?: string }>> }
      expect(document.paths['/agents/a/runs'].post.operationId).toBe('invokeARuns')
      expect(document.paths['/agents/a/runs/{run_id}']).toBeDefined()
    }
  })

  it('is OpenAPI 3.1 with every endpoint of each agent route', () => {
    const document = buildOpenApiDocument([route], { title: 'test', version: '1.0.0' }) as { openapi: string; paths: Record<string, Record<string, unknown>> }
    expect(document.openapi).toBe('3.1.0')
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/agents',
        '/agents/support/billing',
        '/agents/support/billing/graph',
        '/agents/support/billing/threads/{thread_id}/state',
        '/agents/support/billing/threads/{thread_id}/history',
        '/agents/support/billing/threads/{thread_id}/resume',
        '/health',
        '/health/ready',
        '/health/live',
        '/metrics',
      ]),
    )
  })

  it('embeds the route\'s zod input schema as JSON Schema in the request body', () => {
    const document = buildOpenApiDocument([route], { title: 'test', version: '1.0.0' }) as any
    const body = document.paths['/agents/support/billing'].post.requestBody.content['application/json'].schema
    expect(body.required).toEqual(['input'])
    expect(body.properties.input).toMatchObject({
      type: 'object',
      properties: { question: { type: 'string', minLength: 3 }, priority: { enum: ['low', 'high'] } },
      required: ['question'],
    })
  })

  it('degrades an unrepresentable schema to an open one instead of failing', () => {
    expect(inputJsonSchema(z.custom<string>((value) => typeof value === 'string'))).toEqual({})
    expect(inputJsonSchema(undefined)).toEqual({})
  })

  describe('security derived from route middleware', () => {
    const secured: AgentRouteInfo = { ...route, path: '/secure/reports', name: 'reports', middleware: ['auth', 'can:reports.read,reports.export', 'throttle:5,1'] }
    const jwtOnly: AgentRouteInfo = { ...route, path: '/jwt-only', name: 'jwt-only', middleware: ['auth:jwt'] }
    const document = buildOpenApiDocument([route, secured, jwtOnly], { title: 'test', version: '1.0.0' }) as any
    const operations = (base: string) => [
      document.paths[base].post,
      document.paths[`${base}/graph`].get,
      document.paths[`${base}/threads/{thread_id}/state`].get,
      document.paths[`${base}/threads/{thread_id}/history`].get,
      document.paths[`${base}/threads/{thread_id}/resume`].post,
    ]

    it('declares the bearer JWT and X-API-Key schemes', () => {
      expect(document.components.securitySchemes).toEqual({
        bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
        apiKeyAuth: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
      })
    })

    it('asks for either credential on every endpoint of an auth route, with its 401, 403 and 429 answers', () => {
      for (const operation of operations('/agents/secure/reports')) {
        expect(operation.security).toEqual([{ bearerAuth: [] }, { apiKeyAuth: [] }])
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403', '429']))
      }
      const invoke = document.paths['/agents/secure/reports'].post
      expect(invoke.responses[403].description).toContain('reports.read, reports.export')
      expect(Object.keys(invoke.responses[429].headers)).toEqual(['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'])
      expect(invoke.responses[401].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' })
    })

    it('names only the guard an auth:<guard> route accepts, and lists no 403 or 429 it cannot give', () => {
      for (const operation of operations('/agents/jwt-only')) {
        expect(operation.security).toEqual([{ bearerAuth: [] }])
        expect(operation.responses[401]).toMatchObject({ headers: { 'WWW-Authenticate': expect.any(Object) }, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } })
        expect(operation.responses[403]).toBeUndefined()
        expect(operation.responses[429]).toBeUndefined()
      }
    })

    it('leaves a public route without security or auth answers', () => {
      for (const operation of operations('/agents/support/billing')) {
        expect(operation.security).toBeUndefined()
        expect(Object.keys(operation.responses)).not.toEqual(expect.arrayContaining(['401']))
      }
    })
  })

  describe('resume value schema', () => {
    const resumeBody = (info: AgentRouteInfo) =>
      (buildOpenApiDocument([info], { title: 'test', version: '1.0.0' }) as any).paths[`/agents/${info.path.slice(1)}/threads/{thread_id}/resume`].post.requestBody.content['application/json'].schema.properties.value

    it('is the interrupt\'s resumeSchema when the route has one interrupt point, or the map of interrupt id to it', () => {
      const value = resumeBody({ ...route, path: '/approve', interrupts: ['review'], resumeSchemas: { review: z.object({ approved: z.boolean() }) } })
      expect(value.anyOf[0]).toMatchObject({ title: 'review', type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] })
      expect(value.anyOf[1]).toMatchObject({
        title: 'by interrupt id',
        type: 'object',
        propertyNames: { pattern: '^[0-9a-f]{32}$' },
        additionalProperties: { type: 'object', required: ['approved'] },
      })
    })

    it('is any of the declared schemas, each titled with its interrupt path, when there are several', () => {
      const value = resumeBody({ ...route, path: '/approve', interrupts: ['review', 'child/ask'], resumeSchemas: { review: z.enum(['yes', 'no']), 'child/ask': z.object({ answer: z.string() }) } })
      const one = [{ title: 'review', type: 'string', enum: ['yes', 'no'] }, expect.objectContaining({ title: 'child/ask', type: 'object', required: ['answer'] })]
      expect(value.anyOf).toEqual([{ anyOf: one }, expect.objectContaining({ title: 'by interrupt id', additionalProperties: { anyOf: one } })])
    })

    it('keeps an open branch for interrupt points without a resumeSchema, and is open when none declares one', () => {
      const value = resumeBody({ ...route, path: '/approve', interrupts: ['review', 'free'], resumeSchemas: { review: z.boolean() } })
      expect(value.anyOf[0].anyOf).toEqual([{ title: 'review', type: 'boolean' }, expect.objectContaining({ title: 'free' })])
      expect(resumeBody({ ...route, path: '/approve', interrupts: ['review'] })).toEqual({})
    })
  })
})
