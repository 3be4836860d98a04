import { toPlainValues } from '../../agents/plain_values'
import { parseOwner } from '../../memory/memory_owner'
import type { CommandHandler } from '../command'

/** `langvel memory:list <principal> [--json]`: the principal's memories, newest first. */
const memoryList: CommandHandler<{ json?: boolean }> = async ({ app, args, options, output }) => {
  const owner = parseOwner(args[0] ?? '')
  const memories = await app.make('memory').forOwner(owner).list()
  const rows = memories.map((memory) => ({ key: memory.key, value: toPlainValues(memory.value), created_at: memory.createdAt.toISOString(), updated_at: memory.updatedAt.toISOString() }))
  if (options.json) {
    output.json({ principal: owner, memories: rows })
    return
  }
  if (rows.length === 0) {
    output.info(`No memories for ${owner}`)
    return
  }
  output.table(
    ['Key', 'Value', 'Updated'],
    rows.map((row) => [row.key, typeof row.value === 'string' ? row.value : JSON.stringify(row.value), row.updated_at]),
  )
}

export default memoryList
