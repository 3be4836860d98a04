import { isBaseMessage, isBaseMessageChunk, type BaseMessage } from '@langchain/core/messages'
import { toPlainValues } from '../agents/plain_values'

/** One protocol event: its name and data. */
export type ProtocolEvent = [event: string, data: unknown]

/**
 * A message as LangGraph's server sends it: LangChain's own serialization
 * (`toDict()`) flattened, so tool-call chunks and metadata reach the client whole.
 */
export function serializedMessage(message: unknown): unknown {
  if (!isBaseMessage(message)) return toPlainValues(message)
  const { type, data } = message.toDict()
  return { ...data, type }
}

/**
 * The older `messages` stream mode of one run: `messages/metadata` once per
 * streamed message, `messages/partial` with the message so far on each of
 * its tokens, and `messages/complete` when a message is whole: a node
 * returned it (the streamed one, or one that was never streamed) or it is in
 * the state (the run's input messages). Each message is completed once;
 * messages without an id are not sent, as on LangGraph's server. Holds the
 * messages of the run in progress only.
 *
 * @example
 * const messages = new MessagesMode()
 * for (const [event, data] of messages.chunk(chunk, metadata)) await send(event, data)
 */
export class MessagesMode {
  private readonly partial = new Map<string, BaseMessage>()
  private readonly completed = new Set<string>()

  /** A token (a message chunk) of a model call, with its LangGraph metadata. */
  chunk(chunk: unknown, metadata: unknown): ProtocolEvent[] {
    if (!isBaseMessage(chunk) || !chunk.id) return []
    const id = chunk.id
    if (this.completed.has(id)) return []
    const before = this.partial.get(id)
    const events: ProtocolEvent[] = []
    if (!before) events.push(['messages/metadata', { [id]: { metadata } }])
    const sofar = before && isBaseMessageChunk(before) && isBaseMessageChunk(chunk) ? before.concat(chunk) : chunk
    this.partial.set(id, sofar)
    events.push(['messages/partial', [serializedMessage(sofar)]])
    return events
  }

  /** What a node returned: each message in it is complete now. */
  update(output: unknown): ProtocolEvent[] {
    const events: ProtocolEvent[] = []
    for (const message of messagesIn(output)) {
      const id = message.id
      if (!id || this.completed.has(id)) continue
      this.completed.add(id)
      this.partial.delete(id)
      events.push(['messages/complete', [serializedMessage(message)]])
    }
    return events
  }

  /** The state after a step: its messages not completed yet (the input's, first) are complete now. */
  values(state: unknown): ProtocolEvent[] {
    return this.update(state)
  }
}

/** The messages among a node's output values (a message, or a list holding some). */
function messagesIn(output: unknown): BaseMessage[] {
  if (output === null || typeof output !== 'object') return []
  const found: BaseMessage[] = []
  for (const value of Object.values(output)) {
    if (isBaseMessage(value)) found.push(value)
    else if (Array.isArray(value)) found.push(...value.filter((item): item is BaseMessage => isBaseMessage(item)))
  }
  return found
}
