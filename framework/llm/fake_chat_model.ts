import { BaseChatModel, type BaseChatModelCallOptions, type BindToolsInput } from '@langchain/core/language_models/chat_models'
import { AIMessage, AIMessageChunk, type BaseMessage, type UsageMetadata } from '@langchain/core/messages'
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs'
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager'
import { convertToOpenAITool } from '@langchain/core/utils/function_calling'
import { sleep } from '../support/backoff'
import type { FakeReply, FakeScript, FakeToolSpec } from './fake_script'

export interface FakeChatModelCallOptions extends BaseChatModelCallOptions {
  tools?: FakeToolSpec[]
}

export interface FakeChatModelFields {
  model: string
  temperature: number
  maxTokens: number
  /** Read on every call, so a script set after the client was created still applies. */
  script: () => FakeScript
}

/** The error a provider SDK throws, in the shape the retry logic reads (status, headers). */
class FakeProviderError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly headers: Headers,
    readonly code?: string,
  ) {
    super(message)
    this.name = 'FakeProviderError'
  }
}

function toolChoiceName(choice: unknown): string | undefined {
  if (typeof choice === 'string') return choice === 'required' ? 'any' : choice
  const c = choice as { type?: string; name?: string; function?: { name?: string } } | undefined
  return c?.function?.name ?? c?.name ?? c?.type
}

function usageOf(reply: FakeReply): UsageMetadata | undefined {
  if (!reply.usage) return undefined
  const { promptTokens, completionTokens } = reply.usage
  return { input_tokens: promptTokens, output_tokens: completionTokens, total_tokens: promptTokens + completionTokens }
}

function toolCallsOf(reply: FakeReply, callIndex: number) {
  return (reply.toolCalls ?? []).map((call, i) => ({
    name: call.name,
    args: call.args ?? {},
    id: call.id ?? `fake_${callIndex}_${i}`,
    type: 'tool_call' as const,
  }))
}

/**
 * The offline model behind LLM_PROVIDER=fake: a real LangChain chat model
 * (invoke, stream, bindTools, usage metadata), so calls take the same path
 * through retries, cache, metrics and the tool loop as a remote provider.
 * Answers come from a FakeScript.
 *
 * @example
 * const script = new FakeScript().reply('Hello there')
 * const model = new FakeChatModel({ model: 'fake', temperature: 0, maxTokens: 256, script: () => script })
 * for await (const chunk of await model.stream('hi')) process.stdout.write(chunk.text)
 */
export class FakeChatModel extends BaseChatModel<FakeChatModelCallOptions> {
  readonly model: string
  readonly temperature: number
  readonly maxTokens: number
  private readonly script: () => FakeScript

  constructor(fields: FakeChatModelFields) {
    super({})
    this.model = fields.model
    this.temperature = fields.temperature
    this.maxTokens = fields.maxTokens
    this.script = fields.script
  }

  _llmType(): string {
    return 'langvel-fake'
  }

  override bindTools(tools: BindToolsInput[], kwargs?: Partial<FakeChatModelCallOptions>) {
    const specs: FakeToolSpec[] = tools.map((tool) => {
      const { function: fn } = convertToOpenAITool(tool as never)
      return { name: fn.name, description: fn.description, parameters: (fn.parameters ?? {}) as Record<string, unknown> }
    })
    return this.withConfig({ tools: specs, ...kwargs } as Partial<FakeChatModelCallOptions>)
  }

  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions']): Promise<ChatResult> {
    const { reply, index } = await this.answer(messages, options, false)
    const text = reply.text ?? ''
    const message = new AIMessage({
      content: text,
      tool_calls: toolCallsOf(reply, index),
      usage_metadata: usageOf(reply),
      response_metadata: { model_name: this.model, finish_reason: reply.toolCalls?.length ? 'tool_calls' : 'stop' },
    })
    return { generations: [{ text, message }] }
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const { reply, index } = await this.answer(messages, options, true)
    // Word by word, keeping the separators, so joined chunks equal the full text.
    const pieces = (reply.text ?? '').match(/\S+\s*|\s+/g) ?? []
    for (const piece of pieces) {
      if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs, options.signal)
      yield new ChatGenerationChunk({ text: piece, message: new AIMessageChunk({ content: piece }) })
      await runManager?.handleLLMNewToken(piece)
    }
    const toolCalls = toolCallsOf(reply, index)
    yield new ChatGenerationChunk({
      text: '',
      message: new AIMessageChunk({
        content: '',
        tool_call_chunks: toolCalls.map((call, i) => ({ name: call.name, args: JSON.stringify(call.args), id: call.id, index: i, type: 'tool_call_chunk' as const })),
        usage_metadata: usageOf(reply),
        response_metadata: { model_name: this.model, finish_reason: toolCalls.length ? 'tool_calls' : 'stop' },
      }),
    })
  }

  private async answer(messages: BaseMessage[], options: this['ParsedCallOptions'], streaming: boolean): Promise<{ reply: FakeReply; index: number }> {
    const script = this.script()
    const index = script.calls.length
    const reply = script.next({
      messages,
      tools: options.tools ?? [],
      toolChoice: toolChoiceName(options.tool_choice),
      model: this.model,
      temperature: this.temperature,
      maxTokens: this.maxTokens,
      streaming,
    })
    if (reply.delayMs) await sleep(reply.delayMs, options.signal)
    if (reply.error) {
      const headers = new Headers()
      if (reply.error.retryAfter !== undefined) headers.set('retry-after', String(reply.error.retryAfter))
      const status = reply.error.status
      throw new FakeProviderError(reply.error.message ?? `${status ?? 'network'} error from the fake provider`, status, headers, reply.error.code)
    }
    return { reply, index }
  }
}
