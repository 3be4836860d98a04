import type { Responder, Scripted, SseEvent } from './provider_server'

export interface WireAnswer {
  text?: string
  toolCalls?: Array<{ id: string; name: string; args: Record<string, unknown> }>
  usage?: { prompt: number; completion: number }
  model?: string
}

const CREATED = 1_700_000_000

/* OpenAI /v1/chat/completions */

export function openaiJson(answer: WireAnswer): Scripted {
  const usage = answer.usage ?? { prompt: 11, completion: 7 }
  return {
    json: {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: CREATED,
      model: answer.model ?? 'gpt-test',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: answer.text ?? null,
            ...(answer.toolCalls?.length
              ? { tool_calls: answer.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.args) } })) }
              : {}),
          },
          finish_reason: answer.toolCalls?.length ? 'tool_calls' : 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
    },
  }
}

export function openaiSse(pieces: string[], answer: Omit<WireAnswer, 'text'> = {}, delayMs = 0): Scripted {
  const usage = answer.usage ?? { prompt: 11, completion: pieces.length }
  const chunk = (delta: unknown, finish: string | null = null) => ({
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: answer.model ?? 'gpt-test',
    choices: [{ index: 0, delta, finish_reason: finish }],
  })
  const events: SseEvent[] = [{ data: chunk({ role: 'assistant', content: '' }) }]
  for (const piece of pieces) events.push({ data: chunk({ content: piece }) })
  answer.toolCalls?.forEach((c, index) => {
    events.push({ data: chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] }) })
    events.push({ data: chunk({ tool_calls: [{ index, function: { arguments: JSON.stringify(c.args) } }] }) })
  })
  events.push({ data: chunk({}, answer.toolCalls?.length ? 'tool_calls' : 'stop') })
  events.push({
    data: { id: 'chatcmpl-test', object: 'chat.completion.chunk', created: CREATED, model: 'gpt-test', choices: [], usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion } },
  })
  events.push({ data: '[DONE]' })
  return { sse: events, delayMs }
}

export function openaiError(status: number, headers: Record<string, string> = {}): Scripted {
  return { status, headers, json: { error: { message: `test error ${status}`, type: status === 429 ? 'rate_limit_exceeded' : 'server_error', code: null } } }
}

/* Anthropic /v1/messages */

export function anthropicJson(answer: WireAnswer): Scripted {
  const usage = answer.usage ?? { prompt: 13, completion: 5 }
  const content: unknown[] = []
  if (answer.text) content.push({ type: 'text', text: answer.text })
  for (const c of answer.toolCalls ?? []) content.push({ type: 'tool_use', id: c.id, name: c.name, input: c.args })
  return {
    json: {
      id: 'msg_test',
      type: 'message',
      role: 'assistant',
      model: answer.model ?? 'claude-test',
      content,
      stop_reason: answer.toolCalls?.length ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: usage.prompt, output_tokens: usage.completion },
    },
  }
}

export function anthropicSse(pieces: string[], answer: Omit<WireAnswer, 'text'> = {}): Scripted {
  const usage = answer.usage ?? { prompt: 13, completion: pieces.length }
  const events: SseEvent[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: { id: 'msg_test', type: 'message', role: 'assistant', model: 'claude-test', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: usage.prompt, output_tokens: 1 } },
      },
    },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
  ]
  for (const piece of pieces) events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } } })
  events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } })
  answer.toolCalls?.forEach((c, i) => {
    const index = i + 1
    events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} } } })
    events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(c.args) } } })
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } })
  })
  events.push({
    event: 'message_delta',
    data: { type: 'message_delta', delta: { stop_reason: answer.toolCalls?.length ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.completion } },
  })
  events.push({ event: 'message_stop', data: { type: 'message_stop' } })
  return { sse: events }
}

export function anthropicError(status: number, headers: Record<string, string> = {}): Scripted {
  return { status, headers, json: { type: 'error', error: { type: status === 429 ? 'rate_limit_error' : 'api_error', message: `test error ${status}` } } }
}

/* Fallbacks: echo the last user message, streaming when asked to. */

function lastUserText(messages: Array<{ role: string; content: unknown }> = []): string {
  const user = [...messages].reverse().find((m) => m.role === 'user')
  if (!user) return ''
  if (typeof user.content === 'string') return user.content
  return (user.content as Array<{ type: string; text?: string }>).map((part) => part.text ?? '').join('')
}

export const echoResponder: Responder = (request) => {
  const text = `Echo: ${lastUserText(request.body?.messages)}`
  if (request.path.endsWith('/messages')) return request.body?.stream ? anthropicSse(text.split(/(?<= )/)) : anthropicJson({ text })
  return request.body?.stream ? openaiSse(text.split(/(?<= )/)) : openaiJson({ text })
}
