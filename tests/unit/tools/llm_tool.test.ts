import { z } from 'zod'
import { LlmManager, setLlmManagerResolver } from '../../../framework/llm'
import { llmTool } from '../../../framework/tools'

describe('llmTool', () => {
  it('calls the model with its own system prompt and returns the text', async () => {
    const manager = LlmManager.offline()
    const script = manager.fake().reply('A short summary.')
    const summarize = llmTool({ name: 'summarize', description: 'Summarize a text', system: 'Summarize in one sentence.', llm: manager.llm(), call: { temperature: 0, maxTokens: 50 } })

    await expect(summarize.call({ input: 'A very long article ...' })).resolves.toBe('A short summary.')

    const [call] = script.calls
    expect(call.messages.map((m) => [m.type, m.text])).toEqual([
      ['system', 'Summarize in one sentence.'],
      ['human', 'A very long article ...'],
    ])
    expect(call).toMatchObject({ temperature: 0, maxTokens: 50 })
  })

  it('returns a validated object when given an output schema, and sends a custom input as JSON', async () => {
    const manager = LlmManager.offline()
    manager.fake().toolCall('respond', { language: 'fr', confidence: 0.8 })
    const detect = llmTool({
      name: 'detect_language',
      description: 'Detect the language of a text',
      system: 'Detect the language.',
      schema: z.object({ text: z.string() }),
      output: z.object({ language: z.string().length(2), confidence: z.number() }),
      llm: manager.llm(),
    })

    await expect(detect.call({ text: 'Bonjour' })).resolves.toEqual({ language: 'fr', confidence: 0.8 })
    expect(manager.fake().calls[0].messages.at(-1)?.text).toBe('{"text":"Bonjour"}')
  })

  it("uses the application's model when none is given, resolved at call time", async () => {
    const manager = LlmManager.offline()
    manager.fake().reply('from the app model')
    const tool = llmTool({ name: 'ask', description: 'Ask', system: 'Answer.' })
    const resolve = () => manager
    setLlmManagerResolver(resolve)
    try {
      await expect(tool.call({ input: 'hi' })).resolves.toBe('from the app model')
    } finally {
      setLlmManagerResolver(undefined)
    }
  })

  it('is a regular tool: bad input is E_TOOL_INPUT and a failing model is E_TOOL_FAILED', async () => {
    const manager = LlmManager.offline({ retry: { baseDelayMs: 1 } })
    manager.fake().fail(500).fail(500).fail(500)
    const tool = llmTool({ name: 'ask', description: 'Ask', system: 'Answer.', llm: manager.llm() })

    await expect(tool.call({ input: '' })).rejects.toMatchObject({ code: 'E_TOOL_INPUT' })
    await expect(tool.call({ input: 'x' })).rejects.toMatchObject({ code: 'E_TOOL_FAILED', cause: expect.objectContaining({ code: 'E_LLM_UNAVAILABLE' }) })
  })
})
