import { Agent, type GraphBuilder, type NodeContext } from '../../framework/agents'
import { ChatState, type Chat } from '../state/chat_state'

const SYSTEM = 'You are a concise, friendly assistant. Answer in at most three sentences.'

/** How many of the latest messages the model sees: a long thread stays cheap. */
const WINDOW = 20

/**
 * Messages in, messages out: one model turn on the conversation, appended to
 * the thread. The state is just `messages`, so chat UIs that speak the
 * LangGraph protocol (agent-chat-ui, LangGraph Studio) work with it as is,
 * streaming the answer token by token with `stream_mode: ['messages-tuple', 'values']`.
 * Runs on whatever LLM_PROVIDER configures; the offline `fake` driver (the
 * default) answers `Echo: <your message>`.
 *
 * @example
 * curl -X POST localhost:3000/agents/chat -d '{"input":{"messages":[{"role":"user","content":"hi"}]}}'
 */
export class ChatAgent extends Agent<typeof ChatState> {
  state = ChatState
  description = 'Chats: messages in, messages out (works with agent-chat-ui and LangGraph Studio)'

  build(graph: GraphBuilder<typeof ChatState>) {
    return graph.then(this.reply)
  }

  async reply(state: Chat, ctx: NodeContext) {
    const { message } = await this.llm.invoke(state.messages.slice(-WINDOW), { system: SYSTEM, signal: ctx.signal })
    return { messages: [message] }
  }
}
