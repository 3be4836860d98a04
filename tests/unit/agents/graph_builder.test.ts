import { z } from 'zod'
import { END, GraphBuilder, defineState, reducers } from '../../../framework/agents'
import { checkConnections } from '../../../framework/agents/graph_check'
import type { GraphPlan } from '../../../framework/agents/graph_plan'
import { Exception } from '../../../framework/errors'

const State = defineState({ text: z.string().default(''), log: reducers.append(z.string()), summary: z.string().optional() })
const graph = () => new GraphBuilder(State)
const a = () => ({ log: ['a'] })
const b = () => ({ log: ['b'] })

function compileError(builder: GraphBuilder<typeof State>): Exception {
  try {
    builder.compile()
  } catch (error) {
    return error as Exception
  }
  throw new Error('expected compile() to fail')
}

describe('GraphBuilder.validate', () => {
  it('accepts a well-formed graph', () => {
    expect(graph().then(a).branch({ x: b, y: END }, () => 'x').parallel(a, b).merge(a).loop(b, { while: () => false }).validate()).toEqual([])
  })

  it('connects merge() like any step, so it always has incoming edges', () => {
    const edges = graph().merge(a).compile().getGraph().edges.map((e: { source: string; target: string }) => `${e.source}->${e.target}`)
    expect(edges).toEqual(expect.arrayContaining(['__start__->a', 'a->__end__']))
  })

  it('reports an empty graph', () => {
    expect(graph().validate()).toEqual([expect.stringContaining('empty')])
  })

  it('reports nodes after end() as unreachable', () => {
    expect(graph().then(a).end().then(b).validate()).toEqual([expect.stringContaining('"b" is unreachable')])
  })

  it('reports explicit duplicate names and names clashing with state keys', () => {
    const problems = graph().then(a, { name: 'step' }).then(b, { name: 'step' }).then(a, { name: 'summary' }).validate()
    expect(problems).toEqual([expect.stringContaining('"step" is used twice'), expect.stringContaining('"summary" is also a state key')])
  })

  it('reports a branch without selector when the state has no `next` key', () => {
    expect(graph().branch({ x: a }).validate()).toEqual([expect.stringContaining('state.next')])
  })

  it('reports a branch without routes and routes that are not steps', () => {
    expect(graph().branch({}, () => 'x').validate()).toEqual([expect.stringContaining('no routes')])
    expect(graph().branch({ x: 42 as never }, () => 'x').validate()).toEqual([expect.stringContaining('route "x" is neither')])
  })

  it('reports interrupts positioned at unknown nodes and resumeInto keys the state lacks', () => {
    expect(graph().then(a).interrupt({ before: 'nope' }).validate()).toEqual([expect.stringContaining('no node named "nope"')])
    expect(graph().then(a).interrupt({ resumeInto: 'nope' as never }).validate()).toEqual([expect.stringContaining('resumeInto "nope"')])
  })

  it('reports a parallel arm that can end the run before the join that follows', () => {
    const arm = graph().chain().then(a).end()
    expect(graph().parallel(arm, b).merge(a, { name: 'join_here' }).validate()).toEqual([expect.stringContaining('"join_here" after the join would never run')])
    // With nothing after the parallel the arms simply end: fine.
    expect(graph().parallel(arm, b).validate()).toEqual([])
  })

  it('reports empty chains and bad loop limits', () => {
    expect(graph().loop(graph().chain(), { while: () => true }).validate()).toEqual([expect.stringContaining('body is an empty chain')])
    expect(graph().parallel(graph().chain(), a).validate()).toEqual([expect.stringContaining('parallel arm 1 is an empty chain')])
    expect(graph().loop(a, { while: () => true, maxIterations: 0 }).validate()).toEqual([expect.stringContaining('maxIterations')])
  })

  it('fails compile() with E_GRAPH_INVALID listing every problem', () => {
    const error = compileError(graph().then(a, { name: 'x' }).then(b, { name: 'x' }).end().then(a))
    expect(error.code).toBe('E_GRAPH_INVALID')
    expect((error.details as { problems: string[] }).problems).toHaveLength(2)
  })
})

describe('GraphBuilder naming', () => {
  const nodesOf = (builder: GraphBuilder<typeof State>) => Object.keys(builder.compile().getGraph().nodes).filter((n) => !n.startsWith('__'))

  it('names nodes after their functions, strips "bound", and suffixes reused functions', () => {
    function shout() {
      return {}
    }
    expect(nodesOf(graph().then(a).then(shout.bind({})).then(a).then(a))).toEqual(['a', 'shout', 'a_2', 'a_3'])
  })

  it('gives anonymous lambdas deterministic names, the same on every compile', () => {
    const build = () => graph().then(() => ({})).then(() => ({})).then(a, { name: 'named' })
    expect(nodesOf(build())).toEqual(['step_1', 'step_2', 'named'])
    expect(nodesOf(build())).toEqual(nodesOf(build()))
  })

  it('renames an inferred name that clashes with a state key', () => {
    const summary = () => ({})
    expect(nodesOf(graph().then(summary))).toEqual(['summary_node'])
  })

  it('is immutable: reusing a chain in two places does not change either', () => {
    const shared = graph().chain().then(a)
    const left = shared.then(b)
    const right = shared.then(a, { name: 'other' })
    expect(shared.steps).toHaveLength(1)
    expect(left.steps).toHaveLength(2)
    expect(right.steps).toHaveLength(2)
  })
})

describe('GraphBuilder.toMermaid', () => {
  it('draws the compiled LangGraph graph', () => {
    const text = graph().then(a).then(b).toMermaid()
    expect(text).toContain('__start__ --> a')
    expect(text).toContain('a --> b')
    expect(text).toContain('b --> __end__')
  })
})

describe('checkConnections', () => {
  const plan = (extra: Partial<GraphPlan>): GraphPlan => ({
    nodes: new Map([['a', { name: 'a', role: 'junction' }]]),
    edges: [],
    joins: [],
    routers: [],
    problems: [],
    usesLoops: false,
    usesTeams: false,
    usesResume: false,
    interrupts: [],
    ...extra,
  })

  it('reports dead ends and routes that lead nowhere (safety net under the planner)', () => {
    expect(checkConnections(plan({ edges: [{ from: '__start__', to: 'a' }] }))).toEqual([expect.stringContaining('"a" is a dead end')])
    const router = { from: '__start__', paths: { x: 'a' }, logic: { kind: 'branch' as const, label: 'pick', keys: ['x', 'y'] } }
    expect(checkConnections(plan({ edges: [{ from: 'a', to: '__end__' }], routers: [router] }))).toEqual([expect.stringContaining('route "y" of pick leads nowhere')])
  })
})
