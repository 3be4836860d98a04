import { defineState, reducers, type StateOf } from '../../framework/agents'

/**
 * A conversation and nothing else: what chat UIs (agent-chat-ui, LangGraph
 * Studio) send and read. The messages reducer takes LangChain messages,
 * `{ type: 'human', content }` and `{ role: 'user', content }` dicts, and
 * appends them to the thread's history.
 */
export const ChatState = defineState({
  messages: reducers.messages(),
})
export type Chat = StateOf<typeof ChatState>
