import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, sep } from 'node:path'
import { E_FILE_EXISTS, E_INVALID_NAME, E_INVALID_STUB, E_MISSING_STUB } from '../errors'

/** What `make:*` can generate. */
export type GeneratorKind = 'agent' | 'tool' | 'middleware' | 'state' | 'migration'

interface KindRule {
  /** Folder under the project root. */
  directory: string
  /** PascalCase suffix of the class name (and, snake_cased, of the file name). */
  suffix?: string
}

const KINDS: Record<GeneratorKind, KindRule> = {
  agent: { directory: 'app/agents', suffix: 'Agent' },
  tool: { directory: 'app/tools', suffix: 'Tool' },
  middleware: { directory: 'app/middleware', suffix: 'Middleware' },
  state: { directory: 'app/state', suffix: 'State' },
  migration: { directory: 'database/migrations' },
}

export const GENERATOR_KINDS = Object.keys(KINDS) as GeneratorKind[]

/**
 * Names that would produce a broken or confusing identifier. Matched against
 * the name as typed, case-insensitively: `make:agent class` is refused while
 * `make:agent ClassRoom` is fine.
 */
const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function ' +
    'if import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'implements interface package private protected public await arguments eval undefined nan infinity constructor prototype __proto__'
  ).split(' '),
)

/** Longer names hit file-name limits once the suffix and a timestamp are added. */
const MAX_NAME_LENGTH = 80

/** ASCII words joined by `-` or `_`, starting with a letter: no path separators, dots or spaces can get through. */
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*$/

/** The names a generated file and its placeholders are derived from. */
export interface GeneratedNames {
  /** `CustomerSupportAgent` — PascalCase, with the kind's suffix exactly once. */
  className: string
  /** `customerSupportAgent` — the class name in camelCase (exported consts). */
  camelName: string
  /** `customer_support` — the name itself without the suffix (registered names, tool names, table names). */
  snakeName: string
  /** `customer_support_agent` — the file name without extension. Migrations: `<timestamp>_<snakeName>`. */
  fileName: string
  /** `app/agents/customer_support_agent.ts` — relative to the project root, `/`-separated. */
  relativePath: string
}

function splitWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .split(/[-_]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase())
}

const pascal = (words: string[]) => words.map((word) => word[0].toUpperCase() + word.slice(1)).join('')

/**
 * Applies the naming rules of one kind to a name as typed on the command line.
 * `CustomerSupport`, `customer-support`, `customer_support` and
 * `CustomerSupportAgent` all give `CustomerSupportAgent` in
 * `app/agents/customer_support_agent.ts`. Throws E_INVALID_NAME for anything
 * that is not a plain ASCII identifier-like word list.
 *
 * @example
 * names('agent', 'CustomerSupport').relativePath // 'app/agents/customer_support_agent.ts'
 * names('migration', 'create_users_table', new Date()).fileName // '20250101120000_create_users_table'
 */
export function names(kind: GeneratorKind, input: string, now: Date = new Date()): GeneratedNames {
  const rule = KINDS[kind]
  if (!rule) throw new E_INVALID_NAME('generator', kind, `unknown kind; expected one of ${GENERATOR_KINDS.join(', ')}`)
  const refuse = (reason: string) => new E_INVALID_NAME(kind, input, reason)
  if (typeof input !== 'string' || input.length === 0) throw refuse('a name is required')
  if (input.length > MAX_NAME_LENGTH) throw refuse(`longer than ${MAX_NAME_LENGTH} characters`)
  if (!NAME_PATTERN.test(input)) {
    throw refuse('use ASCII letters and digits, starting with a letter, with words joined by "-" or "_" (no paths, dots or spaces)')
  }
  if (RESERVED.has(input.toLowerCase())) throw refuse('it is a reserved word')

  let words = splitWords(input)
  const suffix = rule.suffix?.toLowerCase()
  // `SupportAgent` and `Support` mean the same agent: the suffix is never doubled.
  if (suffix && words.length > 0 && words[words.length - 1] === suffix) words = words.slice(0, -1)
  if (words.length === 0) throw refuse(`the name cannot be only the "${rule.suffix}" suffix`)

  const fullWords = suffix ? [...words, suffix] : words
  const className = pascal(fullWords)
  const snakeName = words.join('_')
  const fileName = kind === 'migration' ? `${timestamp(now)}_${snakeName}` : fullWords.join('_')
  return {
    className,
    camelName: className[0].toLowerCase() + className.slice(1),
    snakeName,
    fileName,
    relativePath: `${rule.directory}/${fileName}.ts`,
  }
}

/** `YYYYMMDDHHMMSS` in UTC: sorts like the time it names, whatever the machine's zone. */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\D/g, '').slice(0, 14)
}

/** The table a `create_<table>_table` migration creates, if the name has that shape. */
export function tableNameOf(migrationName: string): string | undefined {
  return /^create_([a-z0-9_]+?)_table$/.exec(migrationName)?.[1]
}

/** The folder of the framework's own stubs (copied next to the compiled code by `langvel build`). */
export const FRAMEWORK_STUBS = join(__dirname, 'stubs')

/**
 * Finds `make/<kind>/<variant>.stub`: the project's `stubs/` folder wins over
 * the framework's, so an application can change what it generates.
 */
export function resolveStub(basePath: string, kind: string, variant = 'main'): string {
  const candidates = [join(basePath, 'stubs', 'make', kind, `${variant}.stub`), join(FRAMEWORK_STUBS, 'make', kind, `${variant}.stub`)]
  const found = candidates.find((file) => existsSync(file))
  if (!found) throw new E_MISSING_STUB(`${kind}/${variant}`, { help: `Looked in ${candidates.join(' and ')}` })
  return found
}

/**
 * Replaces `{{ name }}` placeholders. A placeholder without a value is an
 * error: a half-rendered file that fails later is worse than no file.
 *
 * @example
 * renderStub('export class {{ className }} {}', { className: 'Foo' }, 'x.stub') // 'export class Foo {}'
 */
export function renderStub(template: string, values: Record<string, string>, stubName = 'stub'): string {
  const unknown = new Set<string>()
  const rendered = template.replace(/\{\{(.*?)\}\}/g, (whole, inner: string) => {
    const key = inner.trim()
    if (Object.prototype.hasOwnProperty.call(values, key)) return values[key]
    unknown.add(key || whole)
    return whole
  })
  if (unknown.size > 0) {
    throw new E_INVALID_STUB(stubName, `unknown placeholder${unknown.size === 1 ? '' : 's'} ${[...unknown].map((k) => `{{ ${k} }}`).join(', ')}`, {
      help: `Available: ${Object.keys(values).join(', ')}`,
    })
  }
  return rendered
}

/** A relative module specifier from `fromDir` to `target`, always starting with `.` and using `/`. */
function importPath(fromDir: string, target: string): string {
  const path = relative(fromDir, target).split(sep).join('/')
  return path.startsWith('.') ? path : `./${path}`
}

export interface GenerateOptions {
  kind: GeneratorKind
  name: string
  /** Project root: files are written here and `stubs/` overrides are read from here. */
  basePath: string
  /** Code root: where `framework/` lives when the project root has no `framework/` of its own. */
  codePath: string
  force?: boolean
  now?: Date
}

export interface GeneratedFile extends GeneratedNames {
  /** Absolute path of the written file. */
  path: string
  stub: string
}

/**
 * Validates the name, renders the stub and writes the file. Everything that
 * can fail is checked before the first byte is written, so a refusal leaves
 * the project untouched.
 *
 * @example
 * const file = generate({ kind: 'state', name: 'Ticket', basePath: app.path(), codePath: app.codePathFor() })
 * output.success(`created ${file.relativePath}`)
 */
export function generate(options: GenerateOptions): GeneratedFile {
  const { kind, basePath, force = false } = options
  const parsed = names(kind, options.name, options.now ?? new Date())
  const generated = kind === 'migration' ? uniqueMigration(basePath, parsed, force, options.now ?? new Date()) : parsed

  const target = join(basePath, ...generated.relativePath.split('/'))
  const fromRoot = relative(basePath, target)
  // Names are validated above; this guards the rule table and any future kind against escaping the project.
  if (fromRoot.startsWith('..') || isAbsolute(fromRoot)) throw new E_INVALID_NAME(kind, options.name, 'resolves outside the project')
  if (!force && existsSync(target)) throw new E_FILE_EXISTS(generated.relativePath)

  const tableName = kind === 'migration' ? tableNameOf(generated.snakeName) : undefined
  const stub = resolveStub(basePath, kind, tableName ? 'create' : 'main')
  // Generated files are sources: they import the project's framework/ sources, not compiled code in build/.
  const frameworkDir = existsSync(join(basePath, 'framework')) ? join(basePath, 'framework') : join(options.codePath, 'framework')
  const values: Record<string, string> = {
    className: generated.className,
    camelName: generated.camelName,
    snakeName: generated.snakeName,
    fileName: generated.fileName,
    frameworkImport: importPath(dirname(target), frameworkDir),
    ...(tableName ? { tableName } : {}),
  }
  const content = renderStub(readFileSync(stub, 'utf8'), values, relative(basePath, stub).startsWith('..') ? stub : relative(basePath, stub))

  mkdirSync(dirname(target), { recursive: true })
  try {
    writeFileSync(target, content, { flag: force ? 'w' : 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new E_FILE_EXISTS(generated.relativePath)
    throw error
  }
  return { ...generated, path: target, stub }
}

/**
 * Two migrations never share a timestamp (the migrator orders by file name),
 * and a second migration with the same name is refused without --force
 * because it is almost always a mistake: the first may already have run.
 */
function uniqueMigration(basePath: string, generated: GeneratedNames, force: boolean, now: Date): GeneratedNames {
  const directory = join(basePath, KINDS.migration.directory)
  const existing = existsSync(directory) ? readdirSync(directory) : []
  const sameName = existing.find((file) => file.replace(/\.(ts|js)$/, '').replace(/^\d+_/, '') === generated.snakeName)
  if (sameName && !force) {
    throw new E_FILE_EXISTS(`${KINDS.migration.directory}/${sameName}`, { help: 'A migration with this name exists. Pass --force to create another one.' })
  }
  const taken = new Set(existing.map((file) => file.slice(0, 14)))
  let time = now.getTime()
  while (taken.has(timestamp(new Date(time)))) time += 1000
  const fileName = `${timestamp(new Date(time))}_${generated.snakeName}`
  return { ...generated, fileName, relativePath: `${KINDS.migration.directory}/${fileName}.ts` }
}
