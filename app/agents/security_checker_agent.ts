import { z } from 'zod'
import { Agent, type GraphBuilder, type NodeContext } from '../../framework/agents'
import { SnippetState, type Snippet } from '../state/code_review_state'

const RULES: Array<{ pattern: RegExp; finding: string }> = [
  { pattern: /\beval\s*\(|new\s+Function\s*\(/, finding: 'dynamic code execution (eval / new Function)' },
  { pattern: /\b(exec|execSync)\s*\(\s*(`[^`]*\$\{|[^)]*\+)/, finding: 'shell command built from variables (command injection)' },
  { pattern: /\.innerHTML\s*=/, finding: 'assignment to innerHTML (cross-site scripting)' },
  { pattern: /\b(query|execute|raw)\s*\(\s*(`[^`]*\$\{|['"][^'"]*['"]\s*\+)/i, finding: 'SQL built by string concatenation (SQL injection): use parameters' },
  { pattern: /\b(password|passwd|secret|api[_-]?key|token)\s*[:=]\s*['"][^'"]{4,}['"]/i, finding: 'hard-coded credential' },
  { pattern: /\bMath\.random\s*\(/, finding: 'Math.random is not a secure source for tokens or ids: use crypto' },
  { pattern: /['"]http:\/\/(?!localhost|127\.0\.0\.1)/, finding: 'plain http URL: use https' },
]

const ModelFindings = z.object({ findings: z.array(z.string().max(300)).max(10) })

/** Security: known dangerous patterns first, then what the model adds. */
export class SecurityCheckerAgent extends Agent<typeof SnippetState> {
  state = SnippetState
  description = 'Checks for security problems: injection, unsafe evaluation, leaked credentials, weak randomness'

  build(graph: GraphBuilder<typeof SnippetState>) {
    return graph.then(this.scan).then(this.askModel)
  }

  scan(state: Snippet) {
    const findings: string[] = []
    state.code.split('\n').forEach((line, index) => {
      for (const rule of RULES) if (rule.pattern.test(line)) findings.push(`line ${index + 1}: ${rule.finding}`)
    })
    return { findings }
  }

  async askModel(state: Snippet, ctx: NodeContext) {
    const prompt = `Check this ${state.language ?? ''} code for security vulnerabilities. List concrete problems not already listed, or none.\n\nAlready listed:\n${state.findings.join('\n') || '(nothing)'}\n\nCode:\n${state.code}`
    const { findings } = await this.llm.structured(prompt, ModelFindings, { signal: ctx.signal })
    return { findings: [...state.findings, ...findings] }
  }
}
