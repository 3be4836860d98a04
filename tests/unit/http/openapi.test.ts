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
})
