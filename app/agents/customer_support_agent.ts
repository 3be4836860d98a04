import { Agent, type GraphBuilder } from '../../framework/agents'
import { toolLoop } from '../../framework/llm/tool_loop'
import { citedSources } from '../../framework/rag/agent'
import { SupportState, type Support } from '../state/support_state'
import { searchDocsTool } from '../tools/search_docs_tool'

const KEYWORDS: Record<'billing' | 'technical', RegExp> = {
  billing: /\b(bill|billing|invoice|charge[sd]?|refund|payment|paid|price|subscription)\b/i,
  technical: /\b(error|bug|crash(es|ed)?|broken|fail(s|ed|ing)?|login|password|install|timeout|not working)\b/i,
}

const SYSTEM = [
  'You are a concise, friendly customer support assistant for Langvel.',
  'Use the search_docs tool when the question is about the product or its documentation.',
  'Answer documentation questions only from the passages it returns and name their source;',
  'when it finds nothing, say the documentation does not cover the question.',
  'Answer in at most three sentences.',
].join(' ')

/**
 * classify -> branch (billing | technical | general) -> ask the model, which
 * may call the search_docs tool (model -> tools -> model, at most 3 steps) ->
 * respond, listing the documentation pages the answer was built from. Runs on
 * whatever LLM_PROVIDER configures; the offline `fake` driver by default.
 * search_docs reads the `docs` collection (`npx langvel rag:ingest docs --collection docs`).
 */
export class CustomerSupportAgent extends Agent<typeof SupportState> {
  state = SupportState
  description = 'Routes a customer question to billing, technical or general support and answers it with the model and the docs tool'
  middleware = ['logging']
  tools = [searchDocsTool]

  build(graph: GraphBuilder<typeof SupportState>) {
    return graph
      .then(this.classify)
      .branch({ billing: this.billing, technical: this.technical, general: this.general }, (state) => state.category)
      .then(this.ask)
      .then(toolLoop({ tools: this.tools, maxSteps: 3, system: SYSTEM, name: 'answer' }))
      .then(this.respond)
  }

  classify(state: Support) {
    const category = KEYWORDS.billing.test(state.query) ? 'billing' : KEYWORDS.technical.test(state.query) ? 'technical' : 'general'
    return { category } as const
  }

  billing() {
    return { draft: 'Our billing team will review your account and follow up on the charge within one business day.' }
  }

  technical() {
    return { draft: 'Please try signing out and back in; if the problem persists, our engineers will investigate.' }
  }

  general() {
    return { draft: 'Thanks for reaching out; a member of our team will get back to you shortly.' }
  }

  ask(state: Support) {
    // The question as the customer wrote it: what the model (and the search it runs) should see.
    return { messages: [{ role: 'user', content: state.query }] }
  }

  respond(state: Support) {
    const answer = state.messages.at(-1)?.text?.trim()
    // Named from what search_docs returned this turn, so the reader can check the answer whatever the model wrote.
    const turn = state.messages.slice(state.messages.findLastIndex((message) => message.getType() === 'human'))
    const sources = citedSources(turn.filter((message) => message.getType() === 'tool').map((message) => message.text))
    const cited = sources.length > 0 ? `\nSources: ${sources.join(', ')}` : ''
    return { response: answer ? `[${state.category}] ${answer}${cited}\n${state.draft}` : `[${state.category}] ${state.draft}` }
  }
}
