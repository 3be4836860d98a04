import type { CommandHandler } from '../command'
import { generate, type GeneratorKind } from '../generators'

/**
 * The one implementation behind every `make:*` command: the naming rules,
 * stub lookup and no-overwrite policy live in generators.ts; this only maps
 * CLI input to them and prints what was created.
 *
 * @example
 * export default makeGenerator('agent') // commands/make_agent.ts
 */
export function makeGenerator(kind: GeneratorKind): CommandHandler<{ force?: boolean; json?: boolean }> {
  return ({ app, args, options, output }) => {
    const file = generate({ kind, name: args[0] ?? '', basePath: app.path(), codePath: app.codePathFor(), force: Boolean(options.force) })
    if (options.json) output.json({ kind, path: file.relativePath, class_name: file.className })
    output.success(`created ${file.relativePath}`)
    return 0
  }
}
