import { randomUUID } from 'node:crypto'
import { Annotation, END, interrupt, START, StateGraph } from '@langchain/langgraph'
import knexFactory, { type Knex } from 'knex'
import { up } from '../../../database/migrations/20260101000000_create_checkpoint_tables'
import { AgentRunner } from '../../../framework/agents/agent_runner'
import { CheckpointerManager } from '../../../framework/checkpointer/checkpointer_manager'
import { createPgPool, type PgPool } from '../../../framework/checkpointer/pg_pool'
import { Router } from '../../../framework/routing/router'
import { POSTGRES_URL, describeWithPostgres } from '../../helpers/services'

const Order = Annotation.Root({ item: Annotation<string>, approved: Annotation<boolean>, status: Annotation<string> })

/** A graph built with LangGraph: it asks a person before placing the order. */
function orderGraph() {
  return new StateGraph(Order)
    .addNode('ask', () => ({ approved: interrupt({ confirm: 'Place the order?' }) === true }))
    .addNode('place', (state) => ({ status: state.approved ? `ordered ${state.item}` : 'cancelled' }))
    .addEdge(START, 'ask')
    .addEdge('ask', 'place')
    .addEdge('place', END)
    .compile()
}

/**
 * A Route.graph thread in the PostgreSQL checkpointer: interrupted under one
 * runner, resumed under another (as after a restart, or on another worker),
 * with only Postgres between them.
 */
describeWithPostgres('Route.graph on the PostgreSQL checkpointer', () => {
  const schema = `langvel_graph_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  const url = (() => {
    const parsed = new URL(POSTGRES_URL)
    parsed.searchParams.set('options', `-c search_path=${schema}`)
    return parsed.toString()
  })()
  let admin: PgPool
  let knex: Knex
  const managers: CheckpointerManager[] = []

  /** A runner with its own checkpointer manager and pool: nothing shared with another but the database. */
  const freshRunner = () => {
    const manager = new CheckpointerManager({ config: { default: 'postgres', sqlitePath: 'unused.sqlite', redisTtlSeconds: 60 }, basePath: process.cwd(), databaseUrl: url, postgresPoolMax: 2 })
    managers.push(manager)
    const router = new Router()
    router.graph('/orders', orderGraph).name('orders')
    return new AgentRunner({ routes: router.routes(), resolveCheckpointer: (name) => manager.use(name) })
  }

  beforeAll(async () => {
    admin = createPgPool({ connectionString: POSTGRES_URL, max: 1 })
    await admin.query(`create schema "${schema}"`)
    knex = knexFactory({ client: 'pg', connection: { connectionString: url }, pool: { min: 0, max: 1 } })
    await up(knex)
  })

  afterAll(async () => {
    await Promise.all(managers.map((manager) => manager.close()))
    await knex?.destroy()
    await admin?.query(`drop schema if exists "${schema}" cascade`)
    await admin?.end()
  })

  it('stops at the interrupt under one runner and finishes under another', async () => {
    const first = await freshRunner().invoke('/orders', { item: 'a kettle' }, { threadId: 'order-1' })
    expect(first.interrupts).toEqual([expect.objectContaining({ node: 'ask', value: { confirm: 'Place the order?' } })])
    const rows = await admin.query<{ thread_id: string }>(`select distinct thread_id from "${schema}".checkpoints`)
    expect(rows.rows.map((row) => row.thread_id)).toEqual(['/orders:order-1'])

    const second = freshRunner()
    expect((await second.getState('/orders', 'order-1')).next).toEqual(['ask'])
    const done = await second.resume('/orders', 'order-1', true)
    expect(done.output).toEqual({ item: 'a kettle', approved: true, status: 'ordered a kettle' })
    expect(done.interrupts).toEqual([])
    await expect(second.resume('/orders', 'order-1', true)).rejects.toMatchObject({ code: 'E_NOTHING_TO_RESUME' })
  })
})
