import { Agent, type GraphBuilder } from '../../framework/agents'
import { ApprovalDecision, ApprovalState, type Approval } from '../state/approval_state'

/**
 * Human in the loop: summarizes the request, stops at `approval` with a
 * payload carrying the summary, and finishes as approved or rejected when
 * resumed with `{ approved: true | false }`.
 */
export class ApprovalAgent extends Agent<typeof ApprovalState> {
  state = ApprovalState
  description = 'Asks a human to approve a request before acting on it'

  build(graph: GraphBuilder<typeof ApprovalState>) {
    return graph
      .then(this.summarize)
      .interrupt({
        name: 'approval',
        payload: (state) => ({ summary: state.summary, request: state.request }),
        resumeInto: 'decision',
        resumeSchema: ApprovalDecision,
      })
      .then(this.decide)
  }

  summarize(state: Approval) {
    const text = state.request.trim()
    return { summary: `Approval requested: ${text.length > 120 ? `${text.slice(0, 117)}...` : text}`, status: 'pending' as const }
  }

  decide(state: Approval) {
    return { status: state.decision?.approved ? ('approved' as const) : ('rejected' as const) }
  }
}
