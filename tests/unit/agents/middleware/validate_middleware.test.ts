import { z } from 'zod'
import type { RunnableAgent } from '../../../../framework/agents/agent_pool'
import { validateMiddleware, type AgentRunOutcome } from '../../../../framework/agents/middleware'
import type { RunResult } from '../../../../framework/contracts/agent_run'
import { E_VALIDATION } from '../../../../framework/errors'
import { Pipeline } from '../../../../framework/pipeline/pipeline'
import { middlewareContext } from './helpers'

const schema = z.object({ question: z.string().min(1), language: z.string().default('en') })
const agent = {
  validateInput(input: unknown) {
    const parsed = schema.safeParse(input)
    if (!parsed.success) throw new E_VALIDATION('invalid input', { details: parsed.error.issues })
    return parsed.data
  },
} as unknown as RunnableAgent

function run(overrides: Parameters<typeof middlewareContext>[0]) {
  const ctx = middlewareContext({ instance: agent, ...overrides })
  const destination = jest.fn((c: typeof ctx): RunResult => ({ output: { input: c.input }, threadId: 't', interrupts: [] }))
  const outcome = new Pipeline<typeof ctx, AgentRunOutcome>().send(ctx).through([validateMiddleware()]).then(destination)
  return { outcome, destination }
}

describe('validate middleware', () => {
  it('hands the parsed input (defaults applied) to the rest of the run', async () => {
    const { outcome } = run({ input: { question: 'hi' } })
    await expect(outcome).resolves.toMatchObject({ output: { input: { question: 'hi', language: 'en' } } })
  })

  it('rejects invalid input with E_VALIDATION before the agent runs', async () => {
    const { outcome, destination } = run({ input: { question: '' } })
    await expect(outcome).rejects.toMatchObject({ code: 'E_VALIDATION', status: 422 })
    expect(destination).not.toHaveBeenCalled()
  })

  it('leaves resume values alone: they answer an interrupt, they are not run input', async () => {
    const { outcome } = run({ mode: 'resume', input: true })
    await expect(outcome).resolves.toMatchObject({ output: { input: true } })
  })

  it('passes the input through when the agent declares no validation', async () => {
    const { outcome } = run({ instance: {} as RunnableAgent, input: 'anything' })
    await expect(outcome).resolves.toMatchObject({ output: { input: 'anything' } })
  })
})
