import { Agent, type GraphBuilder } from '../../framework/agents'
import { SupportState, type Support } from '../state/support_state'

const KEYWORDS: Record<'billing' | 'technical', RegExp> = {
  billing: /\b(bill|billing|invoice|charge[sd]?|refund|payment|paid|price|subscription)\b/i,
  technical: /\b(error|bug|crash(es|ed)?|broken|fail(s|ed|ing)?|login|password|install|timeout|not working)\b/i,
}

/**
 * classify -> branch (billing | technical | general) -> respond. Keyword
 * based for now; a model plugs into `classify` later without changing the graph.
 */
export class CustomerSupportAgent extends Agent<typeof SupportState> {
  state = SupportState
  description = 'Routes a customer question to billing, technical or general support'
  middleware = ['logging']

  build(graph: GraphBuilder<typeof SupportState>) {
    return graph
      .then(this.classify)
      .branch({ billing: this.billing, technical: this.technical, general: this.general }, (state) => state.category)
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

  respond(state: Support) {
    return { response: `[${state.category}] ${state.draft}` }
  }
}
