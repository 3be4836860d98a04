import { z } from 'zod'
import { Agent, GraphBuilder, defineState } from '../../../framework/agents'
import { stepBudget } from '../../../framework/agents/step_budget'

const S = defineState({ n: z.number().default(0) })
const g = () => new GraphBuilder(S)
const step = () => ({})
const forever = () => true

describe('stepBudget', () => {
  it('counts a node per step and a loop at its maxIterations with its gate nodes', () => {
    expect(stepBudget(g().then(step).then(step).steps)).toBe(2)
    expect(stepBudget(g().loop(step, { while: forever, maxIterations: 10 }).steps)).toBe(1 + 11 * 2)
  })

  it('multiplies nested loops and takes the longest branch route and parallel arm', () => {
    const inner = g().loop(step, { while: forever, maxIterations: 5 })
    expect(stepBudget(g().loop(inner, { while: forever, maxIterations: 3 }).steps)).toBe(1 + 4 * (1 + 6 * 2 + 1))
    expect(stepBudget(g().branch({ a: step, b: g().then(step).then(step).then(step) }, () => 'a').steps)).toBe(1 + 3)
    expect(stepBudget(g().parallel(step, g().then(step).then(step)).steps)).toBe(2 + 2)
  })

  it('includes what a subgraph runs, chain or Agent class', () => {
    class Child extends Agent<typeof S> {
      state = S
      build(graph: GraphBuilder<typeof S>) {
        return graph.loop(step, { while: forever, maxIterations: 700 })
      }
    }
    expect(new Child().stepBudget).toBe(1 + 701 * 2)
    expect(stepBudget(g().then(step).subgraph(Child, { name: 'child' }).steps)).toBe(1 + 1 + 1403)
    expect(stepBudget(g().subgraph(g().then(step), { name: 'inner' }).steps)).toBe(2)
  })
})
