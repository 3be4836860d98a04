import { maxInputMiddleware } from '../../../../app/middleware/max_input_middleware'
import { agentMiddleware } from '../../../../app/middleware/kernel'
import { createAgentMiddlewareRegistry, type AgentRunOutcome } from '../../../../framework/agents/middleware'
import type { RunResult } from '../../../../framework/contracts/agent_run'
import { Pipeline } from '../../../../framework/pipeline/pipeline'
import { middlewareContext } from './helpers'

const ok: RunResult = { output: {}, threadId: 't', interrupts: [] }

function run(spec: string, input: unknown) {
  const middleware = createAgentMiddlewareRegistry(agentMiddleware).resolve(spec)
  const ctx = middlewareContext({ input })
  return new Pipeline<typeof ctx, AgentRunOutcome>().send(ctx).through([middleware]).then(() => ok)
}

describe('app max_input middleware', () => {
  it('lets an input within the limit through and refuses a larger one with E_PAYLOAD_TOO_LARGE', async () => {
    await expect(run('max_input:32', { q: 'short' })).resolves.toBe(ok)
    await expect(run('max_input:32', { q: 'x'.repeat(64) })).rejects.toMatchObject({ code: 'E_PAYLOAD_TOO_LARGE', details: { limit: 32 } })
  })

  it('refuses a missing or non-numeric limit when the middleware is built (at boot)', () => {
    expect(() => maxInputMiddleware([])).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
    expect(() => maxInputMiddleware(['4kb'])).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
  })
})
