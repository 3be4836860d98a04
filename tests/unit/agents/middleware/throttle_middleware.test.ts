import { z } from 'zod'
import { Agent, defineState, type GraphBuilder } from '../../../../framework/agents'
import { AgentRunner } from '../../../../framework/agents/agent_runner'
import { agentThrottle, createAgentMiddlewareRegistry } from '../../../../framework/agents/middleware'
import type { RequestContext } from '../../../../framework/contracts/request_context'
import { createLogger } from '../../../../framework/logger'
import { MemoryStore } from '../../../../framework/rate_limiter/memory_store'
import { RateLimiter } from '../../../../framework/rate_limiter/rate_limiter'
import { Router } from '../../../../framework/routing'

const S = defineState({ query: z.string() })

/** The agent of the example: throttle declared on the class, not on the route. */
class ThrottledAgent extends Agent<typeof S> {
  state = S
  middleware = ['logging', 'throttle:2,1']
  runs = 0
  build(graph: GraphBuilder<typeof S>) {
    return graph.then(() => {
      this.runs++
      return { query: 'done' }
    })
  }
}

const as = (id: string): RequestContext => ({ requestId: id, traceId: id, principal: { id, type: 'user', permissions: [] } })

function runnerFor(agent: new () => Agent<typeof S>, limiter = new RateLimiter({ store: new MemoryStore() })) {
  const router = new Router()
  router.agent('/throttled', agent)
  const middleware = createAgentMiddlewareRegistry({ throttle: agentThrottle(() => limiter) })
  return new AgentRunner({ router, middleware, logger: createLogger({ silent: true }) })
}

async function refusal(promise: Promise<unknown>): Promise<{ code?: string; status?: number; headers?: Record<string, string> }> {
  try {
    await promise
  } catch (error) {
    return error as { code?: string }
  }
  throw new Error('expected a refusal')
}

describe('throttle agent middleware', () => {
  it('limits runs per principal on the agent route; the refused run never reaches the graph', async () => {
    const runner = runnerFor(ThrottledAgent)
    await runner.invoke('/throttled', { query: 'a' }, { context: as('ada') })
    await runner.invoke('/throttled', { query: 'b' }, { context: as('ada') })
    const refused = await refusal(runner.invoke('/throttled', { query: 'c' }, { context: as('ada') }))
    expect(refused).toMatchObject({ code: 'E_TOO_MANY_REQUESTS', status: 429 })
    expect(Number(refused.headers?.['Retry-After'])).toBeGreaterThan(0)
    expect(refused.headers?.['X-RateLimit-Limit']).toBe('2')
    // Another principal has its own counter; streams count too.
    await runner.invoke('/throttled', { query: 'd' }, { context: as('bob') })
    const events = runner.stream('/throttled', { query: 'e' }, { context: as('bob') })
    for await (const event of events) expect(event.event).toBeDefined()
    await expect(refusal(runner.invoke('/throttled', { query: 'f' }, { context: as('bob') }))).resolves.toMatchObject({ code: 'E_TOO_MANY_REQUESTS' })
    const instance = runner.pool.instance({ path: '/throttled', agent: ThrottledAgent }) as ThrottledAgent
    expect(instance.runs).toBe(4)
  })

  it('refuses malformed arguments when the runner is built (boot), not on a run', () => {
    class Bad extends ThrottledAgent {
      override middleware = ['throttle:lots']
    }
    expect(() => runnerFor(Bad)).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
  })
})
