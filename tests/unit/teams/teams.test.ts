import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BaseMessage } from '@langchain/core/messages'
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite'
import { z } from 'zod'
import { Agent, defineState, reducers, type GraphBuilder, type NodeContext } from '../../../framework/agents'
import type { AgentMiddleware } from '../../../framework/agents/middleware/types'
import { clearRunMiddlewareResolver, setRunMiddlewareResolver } from '../../../framework/agents/team_member_run'
import { toolLoop } from '../../../framework/llm'
import { clearLlmManagerResolver, setLlmManagerResolver } from '../../../framework/llm/llm_runtime'
import { MiddlewareRegistry } from '../../../framework/pipeline/middleware_registry'
import { SupervisorAgent, SwarmAgent, handoffTool, member, memberName, supervisor, swarm, type TeamTurnInfo } from '../../../framework/teams'
import { defineTool } from '../../../framework/tools'
import { agentOf, collect, rejection } from '../agents/helpers'
import { fakeManager } from '../llm/helpers'

/* A code review team: the team's state keeps findings per member; members have their own state. */
const ReviewState = defineState({ code: z.string(), findings: reducers.merge(z.array(z.string())), summary: z.string().optional() })
type Review = { code: string; findings: Record<string, string[]> }
const MemberState = defineState({ code: z.string(), findings: z.array(z.string()).default([]) })
type MemberView = { code: string; findings: string[] }

const calls: string[] = []

class StyleReviewerAgent extends Agent<typeof MemberState> {
  state = MemberState
  description = 'Reviews naming and length'
  build(graph: GraphBuilder<typeof MemberState>) {
    return graph.then(this.review)
  }
  review(state: MemberView) {
    calls.push('style')
    return { findings: state.code.length > 10 ? ['too long'] : ['fine'] }
  }
}

/** Stops for a human before confirming what it found. */
class SecurityAgent extends Agent<typeof MemberState> {
  state = MemberState
  description = 'Looks for dangerous calls'
  build(graph: GraphBuilder<typeof MemberState>) {
    return graph.then(this.scan).interrupt({ name: 'confirm', payload: (s: MemberView) => ({ found: s.findings }), resumeSchema: z.enum(['yes', 'no']) }).then(this.conclude)
  }
  scan(state: MemberView) {
    calls.push('scan')
    return { findings: state.code.includes('eval') ? ['eval is dangerous'] : [] }
  }
  conclude(state: MemberView, ctx: NodeContext) {
    calls.push('conclude')
    return { findings: [...state.findings, `confirmed: ${String(ctx.resumeValue)}`] }
  }
}

const codeOnly = (state: Review) => ({ code: state.code })
const reviewer = member<Review, MemberView>(StyleReviewerAgent, { input: codeOnly, output: (result) => ({ findings: { style_reviewer: result.findings } }) })
const security = member<Review, MemberView>(SecurityAgent, { name: 'security', input: codeOnly, output: (result) => ({ findings: { security: result.findings } }) })

/** Routes by a fixed plan: each member once, then done. */
const inOrder = (_state: Review, _ctx: NodeContext, info: TeamTurnInfo) => ['style_reviewer', 'security', 'done'][info.turn]

beforeEach(() => {
  calls.length = 0
})

describe('supervisor teams', () => {
  it('names members after their class and reads their description', () => {
    expect(memberName(StyleReviewerAgent)).toBe('style_reviewer')
    expect(memberName(class HTTPFetchAgent {} as never)).toBe('http_fetch')
    expect(reviewer.description).toBe('Reviews naming and length')
  })

  it('routes between members until done, mapping each member state in and out, and streams which member is active', async () => {
    const team = agentOf(ReviewState, (g) => g.then(supervisor<Review>({ members: [reviewer, security], route: inOrder })))
    const events = await collect(team.stream({ code: 'x = 1' }, { modes: ['updates', 'custom'] }))
    expect(events.filter((e) => e.event === 'custom').map((e) => e.data)).toEqual([
      { type: 'team', team: 'supervisor', next: 'style_reviewer' },
      { type: 'team', team: 'supervisor', member: 'style_reviewer', turn: 1 },
      { type: 'team', team: 'supervisor', next: 'security' },
      { type: 'team', team: 'supervisor', member: 'security', turn: 2 },
    ])
    expect(events.flatMap((e) => (e.event === 'updates' ? [e.node] : []))).toEqual(['supervisor', 'style_reviewer', 'supervisor'])
    const stop = events.at(-1)
    expect(stop?.event).toBe('interrupt')
    expect((stop as { data: Array<{ node: string; value: unknown }> }).data[0]).toMatchObject({ node: 'security/confirm', value: { found: [] } })
  })

  it('surfaces an interrupt inside a member through the team and resumes into that member, checked by its resume schema', async () => {
    const team = await agentOf(ReviewState, (g) => g.then(supervisor<Review>({ members: [reviewer, security], route: inOrder })).then((s: Review) => ({ summary: Object.keys(s.findings).join('+') }))).compile()
    expect(team.interrupts).toEqual(['security/confirm'])
    const first = await team.invoke({ code: 'eval(input)' })
    expect(first.interrupts).toEqual([expect.objectContaining({ node: 'security/confirm', value: { found: ['eval is dangerous'] } })])
    expect(first.output.findings).toEqual({ style_reviewer: ['too long'] })

    const bad = await rejection(team.resume(first.threadId, 'maybe'))
    expect(bad.code).toBe('E_VALIDATION')

    const done = await team.resume(first.threadId, 'yes')
    expect(done.interrupts).toEqual([])
    expect(done.output.findings).toEqual({ style_reviewer: ['too long'], security: ['eval is dangerous', 'confirmed: yes'] })
    expect(done.output.summary).toBe('style_reviewer+security')
    // The member resumed where it stopped: its scan ran once, before the interrupt.
    expect(calls).toEqual(['style', 'scan', 'conclude'])
  })

  it('resumes a member interrupt after a restart, from the checkpointer, without running finished members again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'langvel-team-'))
    try {
      const file = join(dir, 'threads.db')
      const build = () => agentOf(ReviewState, (g) => g.then(supervisor<Review>({ members: [reviewer, security], route: inOrder })))
      const saver1 = SqliteSaver.fromConnString(file)
      const before = await build().compile({ checkpointer: saver1 })
      const first = await before.invoke({ code: 'eval(1)' }, { threadId: 'restart' })
      expect(first.interrupts).toHaveLength(1)
      ;(saver1 as unknown as { db: { close(): void } }).db.close()
      calls.length = 0

      const after = await build().compile({ checkpointer: SqliteSaver.fromConnString(file) })
      const done = await after.resume('restart', 'no')
      expect(done.output.findings).toEqual({ style_reviewer: ['fine'], security: ['eval is dangerous', 'confirmed: no'] })
      expect(calls).toEqual(['conclude'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('ends a team that keeps looping at maxTurns: E_TEAM_LIMIT, or the next step with onLimit finish', async () => {
    const always = () => 'style_reviewer'
    const looping = agentOf(ReviewState, (g) => g.then(supervisor<Review>({ members: [reviewer], route: always, maxTurns: 3 })))
    const error = await rejection(looping.invoke({ code: 'a' }))
    expect(error.code).toBe('E_TEAM_LIMIT')
    expect(error.status).toBe(500)
    expect(calls).toEqual(['style', 'style', 'style'])

    calls.length = 0
    const finishing = agentOf(ReviewState, (g) => g.then(supervisor<Review>({ members: [reviewer], route: always, maxTurns: 2, onLimit: 'finish' })).then(() => ({ summary: 'stopped' })))
    const { output } = await finishing.invoke({ code: 'a' })
    expect(output.summary).toBe('stopped')
    expect(calls).toEqual(['style', 'style'])
  })

  it('refuses a route answer that is not a member, and a member input that does not fit its state', async () => {
    const lost = agentOf(ReviewState, (g) => g.then(supervisor<Review>({ members: [reviewer], route: () => 'nobody' })))
    const unknown = await rejection(lost.invoke({ code: 'a' }))
    expect(unknown.code).toBe('E_BRANCH_UNKNOWN')
    expect(unknown.message).toContain('nobody')

    // The default mapping passes `findings` (a text here, a list in the member): named as the team's mistake.
    const Loose = defineState({ code: z.string(), findings: z.string().optional() })
    const unmapped = agentOf(Loose, (g) => g.then(supervisor({ members: [StyleReviewerAgent], route: (_s, _c, info) => (info.turn === 0 ? 'style_reviewer' : 'done') })))
    const mismatch = await rejection(unmapped.invoke({ code: 'a', findings: 'none yet' }))
    // The caller's input was valid: the team's mapping is at fault, a server error.
    expect(mismatch.code).toBe('E_RUNTIME')
    expect(mismatch.status).toBe(500)
    expect(mismatch.message).toContain('member "style_reviewer"')
  })

  it('maps the keys both states declare when no mapping is given', async () => {
    const Shared = defineState({ code: z.string(), findings: z.array(z.string()).default([]), verdict: z.string().optional() })
    const team = agentOf(Shared, (g) => g.then(supervisor({ members: [StyleReviewerAgent], route: (_s, _c, info) => (info.turn === 0 ? 'style_reviewer' : 'done') })))
    const { output } = await team.invoke({ code: 'a much longer line' })
    expect(output).toEqual({ code: 'a much longer line', findings: ['too long'] })
  })

  it('lets the model route by default: members not yet consulted are offered first, then done', async () => {
    const { manager, script } = fakeManager()
    const resolve = () => manager
    setLlmManagerResolver(resolve)
    try {
      class ReviewTeam extends SupervisorAgent<typeof ReviewState> {
        state = ReviewState
        agents = [reviewer, security]
        instructions = 'Review the code.'
      }
      const team = new ReviewTeam()
      const first = await team.invoke({ code: 'eval(x)' })
      expect(first.interrupts[0]?.node).toBe('security/confirm')
      const done = await team.resume(first.threadId, 'yes')
      expect(Object.keys(done.output.findings)).toEqual(['style_reviewer', 'security'])
      const routing = script.calls.filter((call) => call.toolChoice === 'route')
      expect(routing).toHaveLength(3)
      const prompt = routing[2].messages[0].text
      expect(prompt).toContain('Review the code.')
      expect(prompt).toContain('- security: Looks for dangerous calls')
      expect(prompt).toContain('Turns taken so far: style_reviewer, security.')
      expect(prompt).toContain('eval is dangerous')
    } finally {
      clearLlmManagerResolver(resolve)
    }
  })

  it('runs each member turn through the member agent\'s own middleware, interrupts reported to it', async () => {
    const seen: Array<{ agent: string; path: string; input: unknown; interrupts: number }> = []
    const recording: AgentMiddleware = {
      name: 'recording',
      async handle(ctx, next) {
        const outcome = (await next()) as { interrupts: unknown[] }
        seen.push({ agent: ctx.agent, path: ctx.path, input: ctx.input, interrupts: outcome.interrupts.length })
        return outcome as never
      },
    }
    const registry = new MiddlewareRegistry<unknown, AgentMiddleware>().register('recording', { stage: 'run', create: () => recording })
    const resolve = () => registry
    setRunMiddlewareResolver(resolve)
    try {
      class AuditedSecurityAgent extends SecurityAgent {
        middleware = ['recording']
      }
      const audited = member<Review, MemberView>(AuditedSecurityAgent, { name: 'security', input: codeOnly, output: (r) => ({ findings: { security: r.findings } }) })
      const team = agentOf(ReviewState, (g) => g.then(supervisor<Review>({ members: [reviewer, audited], route: inOrder })))
      const first = await team.invoke({ code: 'eval(1)' })
      await team.resume(first.threadId, 'yes')
      expect(seen).toEqual([
        { agent: 'AuditedSecurityAgent', path: 'supervisor/security', input: { code: 'eval(1)' }, interrupts: 1 },
        { agent: 'AuditedSecurityAgent', path: 'supervisor/security', input: { code: 'eval(1)' }, interrupts: 0 },
      ])
    } finally {
      clearRunMiddlewareResolver(resolve)
    }
  })

  it('finishes normally when the supervisor answers done on its last turn; any other answer there hits the limit', async () => {
    const exact = agentOf(ReviewState, (g) => g.then(supervisor<Review>({ members: [reviewer, security], route: inOrder, maxTurns: 2 })))
    const first = await exact.invoke({ code: 'x' })
    const done = await exact.resume(first.threadId, 'yes')
    expect(done.output.findings).toEqual({ style_reviewer: ['fine'], security: ['confirmed: yes'] })

    const over = agentOf(ReviewState, (g) => g.then(supervisor<Review>({ members: [reviewer], route: (_s, _c, info) => (info.turn < 2 ? 'style_reviewer' : 'style_reviewer'), maxTurns: 2 })))
    expect((await rejection(over.invoke({ code: 'x' }))).code).toBe('E_TEAM_LIMIT')
  })

  it('tells the routing model how many turns are left and shows each state value cut on its own', async () => {
    const { manager, script } = fakeManager()
    const resolve = () => manager
    setLlmManagerResolver(resolve)
    try {
      const team = agentOf(ReviewState, (g) => g.then(supervisor<Review>({ members: [reviewer], maxTurns: 1 })))
      const { output } = await team.invoke({ code: `${'x'.repeat(30_000)}` })
      expect(output.findings).toEqual({ style_reviewer: ['too long'] })
      const prompts = script.calls.filter((call) => call.toolChoice === 'route').map((call) => call.messages[0].text)
      expect(prompts[0]).toContain('Turns left: 1.')
      expect(prompts[1]).toContain('No turns left: answer "done".')
      // The long input is cut, and the member's findings after it still show.
      expect(prompts[1]).toContain('more characters)')
      expect(prompts[1]).toContain('findings: {"style_reviewer":["too long"]}')
      expect(prompts[1].length).toBeLessThan(12_000)

      script.reset()
      const briefed = agentOf(ReviewState, (g) => g.then(supervisor<Review>({ members: [reviewer], maxTurns: 1, briefing: (state) => ({ reports: Object.keys(state.findings) }) })))
      await briefed.invoke({ code: 'secret-token-123' })
      const prompt = script.calls.find((call) => call.toolChoice === 'route')?.messages[0].text ?? ''
      expect(prompt).toContain('reports: []')
      expect(prompt).not.toContain('secret-token-123')
    } finally {
      clearLlmManagerResolver(resolve)
    }
  })

  it('appends a member\'s list items once through an output mapping, whatever copies the member worked on', async () => {
    const Logged = defineState({ code: z.string(), log: reducers.append(z.object({ m: z.string() })) })
    const Member = defineState({ code: z.string(), log: reducers.append(z.object({ m: z.string() })) })
    class LoggingAgent extends Agent<typeof Member> {
      state = Member
      build(graph: GraphBuilder<typeof Member>) {
        return graph.then(() => ({ log: [{ m: 'member' }] }), { name: 'work' })
      }
    }
    const team = agentOf(Logged, (g) =>
      g.then(supervisor({ members: [member(LoggingAgent, { output: (result: { log: unknown[] }) => ({ log: result.log }) })], route: (_s, _c, info) => (info.turn === 0 ? 'logging' : 'done') })),
    )
    const { output } = await team.invoke({ code: 'x', log: [{ m: 'before' }] })
    expect(output.log).toEqual([{ m: 'before' }, { m: 'member' }])
  })

  it('stops once per entry into the team for an interrupt placed before or after it', async () => {
    const twice = (_s: Review, _c: NodeContext, info: TeamTurnInfo) => (info.turn < 2 ? 'style_reviewer' : 'done')
    const team = await agentOf(ReviewState, (g) =>
      g.then(supervisor<Review>({ members: [reviewer], route: twice, name: 'review' })).interrupt({ before: 'review', name: 'approve_start' }).interrupt({ after: 'review', name: 'approve_end' }),
    ).compile()
    const first = await team.invoke({ code: 'x' })
    expect(first.interrupts.map((i) => i.node)).toEqual(['approve_start'])
    const second = await team.resume(first.threadId, true)
    expect(second.interrupts.map((i) => i.node)).toEqual(['approve_end'])
    expect(calls).toEqual(['style', 'style'])
    const done = await team.resume(first.threadId, true)
    expect(done.interrupts).toEqual([])
  })

  it('resolves member middleware when the team compiles: an unknown name fails then, request middleware is skipped with a warning', async () => {
    const registry = new MiddlewareRegistry<unknown, AgentMiddleware>()
      .register('logging', { stage: 'run', create: () => ({ name: 'logging', handle: (_ctx, next) => next() }) })
      .register('throttle', { stage: 'request', create: () => ({ name: 'throttle', handle: (_ctx: unknown, next: () => Promise<never>) => next() }) as never })
    const resolve = () => registry
    setRunMiddlewareResolver(resolve)
    try {
      class TypoAgent extends StyleReviewerAgent {
        middleware = ['loging']
      }
      const typo = agentOf(ReviewState, (g) => g.then(supervisor({ members: [member(TypoAgent, { input: codeOnly })], route: () => 'done' })))
      expect((await rejection(typo.compile())).code).toBe('E_UNKNOWN_MIDDLEWARE')

      class ThrottledAgent extends StyleReviewerAgent {
        middleware = ['throttle:5,1', 'logging']
      }
      const throttled = agentOf(ReviewState, (g) =>
        g.then(supervisor<Review>({ members: [member<Review, MemberView>(ThrottledAgent, { input: codeOnly, output: (r) => ({ findings: { throttled: r.findings } }) })], route: (_s, _c, info) => (info.turn === 0 ? 'throttled' : 'done') })),
      )
      const { output } = await throttled.invoke({ code: 'x' })
      expect(output.findings).toEqual({ throttled: ['fine'] })
    } finally {
      clearRunMiddlewareResolver(resolve)
    }
  })

  it('reports structural problems of a team when the graph is planned', () => {
    class DoneAgent extends StyleReviewerAgent {}
    const problems = agentOf(ReviewState, (g) =>
      g.then(supervisor({ members: [member(DoneAgent, { name: 'done' }), reviewer, reviewer], maxTurns: 0 })),
    ).validate()
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('no member can be named "done"'),
        expect.stringContaining('maxTurns must be a positive integer'),
        expect.stringContaining('node name "style_reviewer" is used twice'),
      ]),
    )
    expect(agentOf(ReviewState, (g) => g.then(swarm({ members: [reviewer], start: 'nobody' }))).validate()).toEqual([expect.stringContaining('start "nobody" is not one of its members')])
    expect(agentOf(ReviewState, (g) => g.then(supervisor({ members: [] }))).validate()).toEqual([expect.stringContaining('has no members')])
  })
})

/* A help desk swarm: members share the conversation and hand it over with handoff tools. */
const ChatState = defineState({ messages: reducers.messages() })
const ask = (content: string) => ({ messages: [{ role: 'user', content }] })

const lookupInvoice = defineTool({
  name: 'lookup_invoice',
  description: 'Find an invoice',
  schema: z.object({ number: z.string() }),
  handler: async ({ number }) => ({ number, total: 42 }),
})

class TriageAgent extends Agent<typeof ChatState> {
  state = ChatState
  description = 'First contact'
  tools = [handoffTool('billing', { description: 'invoices and charges' })]
  build(graph: GraphBuilder<typeof ChatState>) {
    return graph.then(toolLoop({ tools: this.tools, system: 'You are the help desk. Hand billing questions over.' }))
  }
}

class BillingAgent extends Agent<typeof ChatState> {
  state = ChatState
  tools = [lookupInvoice, handoffTool('triage')]
  build(graph: GraphBuilder<typeof ChatState>) {
    return graph.then(toolLoop({ tools: this.tools, system: 'You handle billing.' }))
  }
}

class HelpDeskAgent extends SwarmAgent<typeof ChatState> {
  state = ChatState
  agents = [TriageAgent, BillingAgent]
  start = 'triage'
  maxTurns = 4
}

describe('swarm teams', () => {
  let resolve: () => ReturnType<typeof fakeManager>['manager']
  let script: ReturnType<typeof fakeManager>['script']
  beforeEach(() => {
    const fake = fakeManager()
    script = fake.script
    resolve = () => fake.manager
    setLlmManagerResolver(resolve)
  })
  afterEach(() => {
    clearLlmManagerResolver(resolve)
  })

  const types = (messages: BaseMessage[]) => messages.map((m) => `${m.getType()}${m.name ? `:${m.name}` : ''}`)

  it('hands the conversation over with a handoff tool, and the next message of the thread goes to the member that answered last', async () => {
    const desk = new HelpDeskAgent()
    // The fake model calls a bound tool whose name the question mentions: "billing" -> transfer_to_billing.
    const first = await desk.invoke(ask('I have a billing question'))
    expect(types(first.output.messages)).toEqual(['human', 'ai', 'tool:transfer_to_billing', 'ai'])
    // Triage's loop ended at the handoff: its model was called once; billing answered next.
    expect(script.calls.map((call) => call.tools.map((t) => t.name).join(','))).toEqual(['transfer_to_billing', 'lookup_invoice,transfer_to_triage'])

    const events = await collect(desk.stream(ask('and my invoice 7?'), { threadId: first.threadId, modes: ['custom'] }))
    expect(events.filter((e) => e.event === 'custom').map((e) => (e.data as { member: string }).member)).toEqual(['billing'])
  })

  it('starts with the start member and ends a ping-pong of handoffs at maxTurns', async () => {
    script.toolCall('transfer_to_billing').toolCall('transfer_to_triage').toolCall('transfer_to_billing').toolCall('transfer_to_triage')
    const error = await rejection(new HelpDeskAgent().invoke(ask('hello')))
    expect(error.code).toBe('E_TEAM_LIMIT')
    expect(script.calls).toHaveLength(4)
  })

  it('answers when the conversation arrives ending in a handoff result the member could also make', async () => {
    class SharedTriage extends Agent<typeof ChatState> {
      state = ChatState
      tools = [handoffTool('triage'), handoffTool('billing')]
      build(graph: GraphBuilder<typeof ChatState>) {
        return graph.then(toolLoop({ tools: this.tools }))
      }
    }
    class SharedBilling extends SharedTriage {}
    class Desk extends SwarmAgent<typeof ChatState> {
      state = ChatState
      agents = [member(SharedTriage, { name: 'triage' }), member(SharedBilling, { name: 'billing' })]
    }
    script.toolCall('transfer_to_billing').reply('Billing here: your invoice is paid.')
    const { output } = await new Desk().invoke(ask('hi'))
    expect(types(output.messages)).toEqual(['human', 'ai', 'tool:transfer_to_billing', 'ai'])
    expect(output.messages.at(-1)?.text).toBe('Billing here: your invoice is paid.')
    expect(script.calls).toHaveLength(2)
  })

  it('refuses a swarm whose member hands off to a name that is not a member', () => {
    class Lost extends Agent<typeof ChatState> {
      state = ChatState
      tools = [handoffTool('billing_desk')]
      build(graph: GraphBuilder<typeof ChatState>) {
        return graph.then(toolLoop({ tools: this.tools }))
      }
    }
    const problems = agentOf(ChatState, (g) => g.then(swarm({ members: [Lost, BillingAgent] }))).validate()
    expect(problems).toEqual([
      'swarm "swarm": member "lost" hands off to "billing_desk", which is not one of its members (lost, billing)',
      'swarm "swarm": member "billing" hands off to "triage", which is not one of its members (lost, billing)',
    ])
  })

  it('ends a member\'s tool loop at a returnDirect tool without calling the model again', async () => {
    const stop = defineTool({ name: 'stop_here', description: 'Stop', schema: z.object({}), returnDirect: true, handler: () => 'stopped' })
    const agent = agentOf(ChatState, (g) => g.then(toolLoop({ tools: [stop] })))
    script.toolCall('stop_here').reply('never sent')
    const { output } = await agent.invoke(ask('go'))
    expect(types(output.messages)).toEqual(['human', 'ai', 'tool:stop_here'])
    expect(script.calls).toHaveLength(1)
    // Run as one function, the loop stops there too.
    script.reset()
    script.toolCall('stop_here').reply('never sent')
    const direct = await toolLoop({ tools: [stop] })(ask('go'))
    expect(types(direct.messages)).toEqual(['ai', 'tool:stop_here'])
    expect(script.calls).toHaveLength(1)
  })
})
