import request from 'supertest'
import { z } from 'zod'
import { Agent, defineState, reducers, type GraphBuilder } from '../../../framework/agents'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { toolLoop } from '../../../framework/llm'
import { createLogger } from '../../../framework/logger'
import { defineTool } from '../../../framework/tools'
import { fakeManager } from '../../unit/llm/helpers'

const S = defineState({ messages: reducers.messages() })
const refunds: unknown[] = []
const { llm, script } = fakeManager()

const refund = defineTool({
  name: 'refund',
  description: 'Refund an order',
  schema: z.object({ orderId: z.number().int(), amount: z.number().positive() }),
  requiresApproval: true,
  handler: async (input) => {
    refunds.push(input)
    return { refunded: input.amount }
  },
})

class RefundAgent extends Agent<typeof S> {
  state = S
  build(graph: GraphBuilder<typeof S>) {
    return graph.then(toolLoop({ llm, tools: [refund] }))
  }
}

describe('tool approval over HTTP', () => {
  let app: Application
  let server: HttpServer
  let http: ReturnType<typeof request>

  beforeAll(async () => {
    app = await Application.create({
      env: { ...process.env, APP_ENV: 'test', STATE_CHECKPOINTER: 'memory' },
      loadDotenv: false,
      providers: defaultProviders(),
      logger: createLogger({ silent: true }),
    }).boot()
    const runner = new AgentRunner({ routes: [{ path: '/refunds', agent: RefundAgent, middleware: [] }], resolveCheckpointer: () => undefined, logger: app.logger })
    server = createServer({ app, runner, health: { database: 'off', checkpointer: 'off' } })
    http = request(server.express)
  })

  afterAll(async () => {
    await server.shutdown(1)
    await app.shutdown()
  })

  it('stops before the call, refuses a bad edit with 422 and runs nothing, then runs the approved edit', async () => {
    script.toolCall('refund', { orderId: 3, amount: 900 }, 'call-1').reply('Refunded 90.')
    const input = { messages: [{ role: 'user', content: 'refund order 3' }] }
    const first = await http.post('/agents/refunds').send({ input, config: { thread_id: 'refund-1' } }).expect(200)
    expect(first.body.interrupts).toEqual([
      {
        id: expect.any(String),
        node: 'tool_loop_tools',
        value: { type: 'tool_approval', tool: 'refund', callId: 'call-1', args: { orderId: 3, amount: 900 }, description: 'Refund an order' },
        resume: { method: 'POST', url: '/agents/refunds/threads/refund-1/resume' },
      },
    ])

    const bad = await http.post('/agents/refunds/threads/refund-1/resume').send({ value: { approve: true, args: { orderId: 3, amount: 'lots' } } }).expect(422)
    expect(bad.body.error.code).toBe('E_TOOL_INPUT')
    const malformed = await http.post('/agents/refunds/threads/refund-1/resume').send({ value: 'maybe' }).expect(422)
    expect(malformed.body.error.code).toBe('E_VALIDATION')
    expect(refunds).toEqual([])

    const done = await http.post('/agents/refunds/threads/refund-1/resume').send({ value: { approve: true, args: { orderId: 3, amount: 90 } } }).expect(200)
    expect(refunds).toEqual([{ orderId: 3, amount: 90 }])
    expect(done.body.interrupts).toEqual([])
    expect(done.body.output.messages.at(-1)).toMatchObject({ type: 'ai', content: 'Refunded 90.' })
  })

  it('lists the tools step as an interrupt point, and documents its resume value in the OpenAPI document', async () => {
    const res = await http.get('/agents').expect(200)
    expect(res.body.agents.find((a: { path: string }) => a.path === 'refunds')).toMatchObject({ interrupts: ['tool_loop_tools'] })
    const openapi = await http.get('/openapi.json').expect(200)
    const value = openapi.body.paths['/agents/refunds/threads/{thread_id}/resume'].post.requestBody.content['application/json'].schema.properties.value
    const decision = [
      { type: 'string', enum: ['approve', 'reject'] },
      expect.objectContaining({ type: 'object', required: ['approve'], properties: expect.objectContaining({ approve: { type: 'boolean' } }) }),
    ]
    expect(value.anyOf).toEqual([
      { title: 'tool_loop_tools', anyOf: decision },
      // Several calls waiting at once are answered { [interruptId]: decision }.
      expect.objectContaining({ title: 'by interrupt id', propertyNames: { pattern: '^[0-9a-f]{32}$' }, additionalProperties: { anyOf: decision } }),
    ])
  })
})
