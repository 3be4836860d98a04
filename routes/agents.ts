import { ApprovalAgent } from '../app/agents/approval_agent'
import { AssistantAgent } from '../app/agents/assistant_agent'
import { BatchAgent } from '../app/agents/batch_agent'
import { ChatAgent } from '../app/agents/chat_agent'
import { CodeReviewAgent } from '../app/agents/code_review_agent'
import { CustomerSupportAgent } from '../app/agents/customer_support_agent'
import { EchoAgent } from '../app/agents/echo_agent'
import { NotesAgent } from '../app/agents/notes_agent'
import { ResearchAgent } from '../app/agents/research_agent'
import { wordCountGraph } from '../app/agents/word_count_graph'
import { Route } from '../framework/routing'

/**
 * URL paths -> agents. Each route is served at POST /agents/<path> by
 * `langvel serve` and runs with `langvel agent:run <path>`.
 */
export default function routes() {
  Route.agent('/echo', EchoAgent).name('echo').description('Echoes the query through two nodes')
  // Messages in, messages out: what chat UIs speaking the LangGraph protocol (agent-chat-ui, Studio) expect.
  Route.agent('/chat', ChatAgent).middleware('logging').name('chat')
  // A graph built with LangGraph itself (a prebuilt ReAct agent), served like any agent: see docs/routing.md.
  Route.graph('/words', wordCountGraph).middleware('logging').name('words').description('A LangGraph prebuilt ReAct agent that counts words with a tool')
  Route.agent('/customer-support', CustomerSupportAgent).middleware('logging', 'max_input:16384').name('customer-support')
  Route.agent('/approval', ApprovalAgent).middleware('logging').name('approval')
  Route.agent('/batch', BatchAgent).middleware('logging').name('batch')
  Route.agent('/research', ResearchAgent).middleware('logging').name('research')
  // A supervisor team: the model routes between a reviewer and a security checker (see docs/multi-agent.md).
  Route.agent('/code-review', CodeReviewAgent).middleware('max_input:65536').name('code-review')
  // Its tools come from the notes MCP server declared in config/mcp.ts (app/mcp/notes_server.ts); see docs/mcp.md.
  Route.agent('/notes', NotesAgent).middleware('logging').name('notes').description('Keeps notes through the tools of the example MCP server')
  // Remembers what each user tells it, across threads (docs/memory.md): memory belongs to a principal, so it needs `auth`.
  Route.agent('/assistant', AssistantAgent).middleware('auth', 'logging').name('assistant').description('A conversational assistant that remembers what each user tells it, across threads')

  // Authenticated: a Bearer JWT (`langvel auth:token`) or an X-API-Key (`langvel apikey:create`),
  // at most 5 runs per minute per principal.
  Route.group({ prefix: '/secure', middleware: ['auth'] }, () => {
    Route.agent('/echo', EchoAgent).middleware('throttle:5,1').name('secure-echo').description('The echo agent behind auth and 5 runs a minute')
    // The same stack with the configured default limit (RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW): what `npm run bench` measures.
    Route.agent('/echo-bulk', EchoAgent).middleware('throttle').name('secure-echo-bulk').description('The echo agent behind auth and the default rate limit')
  })
}
