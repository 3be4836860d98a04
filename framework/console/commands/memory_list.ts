import { toPlainValues } from '../../agents/plain_values'
import { E_INVALID_CONFIG } from '../../errors'
import { parseOwner } from '../../memory/memory_owner'
import type { CommandHandler } from '../command'

/**
 * `langvel memory:list <principal> [--json]`: the principal's memories, newest
 * first. E_INVALID_CONFIG with MEMORY_STORE=memory: that store lives inside
 * the server process, and the CLI would only see an empty one of its own.
 */
const memoryList: CommandHandler<{ json?: boolean }> = async ({ app, args, options, output }) => {
  const owner = parseOwner(args[0] ?? '')
  const manager = app.make('memory')
  if (manager.defaultDriver === 'memory') {
    throw new E_INVALID_CONFIG(['MEMORY_STORE=memory keeps memories inside the server process: the CLI cannot read them'], {
      help: 'Use MEMORY_STORE=postgres (run `langvel migrate`) to list and erase memories from the CLI; or read them in the app with app.make(\'memory\').forOwner(owner).list().',
    })
  }
  const memories = await manager.forOwner(owner).list()
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
