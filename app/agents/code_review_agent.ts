import type { GraphBuilder } from '../../framework/agents'
import { member, SupervisorAgent } from '../../framework/teams'
import { CodeReviewState, type CodeReview, type Snippet } from '../state/code_review_state'
import { ReviewerAgent } from './reviewer_agent'
import { SecurityCheckerAgent } from './security_checker_agent'

/** What each member gets of the team's state, and where its findings go. */
const snippet = (state: CodeReview) => ({ code: state.code, language: state.language })

/**
 * A supervisor team: the model decides which member reviews next — the
 * reviewer (readability) or the security checker — until it is satisfied,
 * then the findings are summarized per member. Each member is an ordinary
 * agent with its own state; `member()` maps the snippet in and its findings out.
 */
export class CodeReviewAgent extends SupervisorAgent<typeof CodeReviewState> {
  state = CodeReviewState
  description = 'A supervisor team reviews a code snippet: a reviewer and a security checker, findings per member'
  middleware = ['logging']
  instructions = 'You lead a code review. Have each member review the snippet once; call on a member again only if its findings need a second look. Answer done when every member has reported.'
  maxTurns = 4
  agents = [
    member<CodeReview, Snippet>(ReviewerAgent, { name: 'reviewer', input: snippet, output: (result) => ({ findings: { reviewer: result.findings } }) }),
    member<CodeReview, Snippet>(SecurityCheckerAgent, { name: 'security', input: snippet, output: (result) => ({ findings: { security: result.findings } }) }),
  ]

  override build(graph: GraphBuilder<typeof CodeReviewState>) {
    return super.build(graph).then(this.summarize)
  }

  summarize(state: CodeReview) {
    const members = Object.keys(state.findings)
    const total = members.reduce((sum, name) => sum + state.findings[name].length, 0)
    const parts = members.map((name) => `${name}: ${state.findings[name].length}`)
    return { summary: total === 0 ? `No findings (${members.join(', ')} reviewed the code).` : `${total} finding${total === 1 ? '' : 's'} (${parts.join(', ')}).` }
  }
}
