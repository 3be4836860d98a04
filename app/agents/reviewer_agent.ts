import { z } from 'zod'
import { Agent, type GraphBuilder, type NodeContext } from '../../framework/agents'
import { SnippetState, type Snippet } from '../state/code_review_state'

/** Each rule: what it looks for, line by line, and what it reports. */
const RULES: Array<{ test: (line: string) => boolean; finding: string }> = [
  { test: (line) => line.length > 100, finding: 'line longer than 100 characters' },
  { test: (line) => /\bvar\s+[A-Za-z_$]/.test(line), finding: '`var` declaration: use `const` or `let`' },
  { test: (line) => /[^=!]==[^=]/.test(line), finding: 'loose equality `==`: use `===`' },
  { test: (line) => /\bconsole\.log\(/.test(line), finding: 'leftover `console.log`' },
  { test: (line) => /\b(TODO|FIXME)\b/.test(line), finding: 'unfinished work (TODO/FIXME)' },
  { test: (line) => /catch\s*(\([^)]*\))?\s*\{\s*\}/.test(line), finding: 'empty catch block swallows errors' },
]

const ModelFindings = z.object({ findings: z.array(z.string().max(300)).max(10) })

/** Style and maintainability: fixed rules first, then what the model adds. */
export class ReviewerAgent extends Agent<typeof SnippetState> {
  state = SnippetState
  description = 'Reviews readability and maintainability: naming, equality, leftovers, error handling'

  build(graph: GraphBuilder<typeof SnippetState>) {
    return graph.then(this.applyRules).then(this.askModel)
  }

  applyRules(state: Snippet) {
    const findings: string[] = []
    state.code.split('\n').forEach((line, index) => {
      for (const rule of RULES) if (rule.test(line)) findings.push(`line ${index + 1}: ${rule.finding}`)
    })
    return { findings }
  }

  async askModel(state: Snippet, ctx: NodeContext) {
    const prompt = `Review this ${state.language ?? ''} code for readability and maintainability. List concrete problems not already listed, or none.\n\nAlready listed:\n${state.findings.join('\n') || '(nothing)'}\n\nCode:\n${state.code}`
    const { findings } = await this.llm.structured(prompt, ModelFindings, { signal: ctx.signal })
    return { findings: [...state.findings, ...findings] }
  }
}
