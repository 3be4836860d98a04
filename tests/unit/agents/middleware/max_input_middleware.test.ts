import { maxInputMiddleware } from '../../../../app/middleware/max_input_middleware'
import { middleware as appMiddleware } from '../../../../app/middleware/kernel'
import type { AgentMiddleware, AgentRunOutcome } from '../../../../framework/agents/middleware'
import { MiddlewareRegistry } from '../../../../framework/pipeline/middleware_registry'
import type { RunResult } from '../../../../framework/contracts/agent_run'
import { Pipeline } from '../../../../framework/pipeline/pipeline'
import { middlewareContext } from './helpers'

const ok: RunResult = { output: {}, threadId: 't', interrupts: [] }

function run(spec: string, input: unknown) {
  const registry = new MiddlewareRegistry<unknown, AgentMiddleware>().register('max_input', appMiddleware.max_input)
  const [middleware] = registry.resolve([spec], 'run', 'test')
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
