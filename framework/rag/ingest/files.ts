import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { globToRegExp } from './glob'

/** A file to index: where it is, and its `source` (what its chunks' metadata and ids name it by). */
export interface FileCandidate {
  path: string
  source: string
}

/** A path that was not indexed, and why (`not found`, `binary file`, `larger than the 2 MB limit`). */
export interface SkippedFile {
  path: string
  reason: string
}

/** A path argument as prune sees it: every stored source it covers. */
export interface Scope {
  source: string
  directory: boolean
}

/** Folders a walk never enters, besides dot-folders (.git, .cache): installed dependencies. */
const IGNORED_FOLDERS = new Set(['node_modules'])

/**
 * A file's `source`: its path relative to the project root with forward
 * slashes, so the same file has the same source (and chunk ids) on every
 * machine; a file outside the root keeps its absolute path.
 *
 * @example
 * sourceOf('/app', '/app/docs/intro.md') // 'docs/intro.md'
 */
export function sourceOf(root: string, path: string): string {
  const fromRoot = relative(root, path)
  const outside = fromRoot === '..' || fromRoot.startsWith(`..${sep}`) || isAbsolute(fromRoot)
  return (outside ? resolve(path) : fromRoot).split(sep).join('/')
}

/** The absolute path a stored source names. */
export function pathOfSource(root: string, source: string): string {
  return isAbsolute(source) ? source : resolve(root, source)
}

/** Whether a stored source lies under a path argument (the argument itself, or in its folder). */
export function inScope(scope: Scope, source: string): boolean {
  if (source === scope.source) return true
  if (!scope.directory) return false
  if (scope.source === '') return !isAbsolute(source)
  return source.startsWith(`${scope.source}/`)
}

/**
 * The files under the given paths, in a stable order. A folder is walked
 * (skipping dot-files, dot-folders and node_modules; symbolic links to
 * folders, or out of the folder, are not followed) and `glob`, matched against
 * the path relative to that folder, picks its files; a file named on its own
 * is always taken. Paths that do not exist or cannot be read are returned as
 * skipped, never thrown.
 */
export async function collectFiles(paths: string[], options: { root: string; glob?: string }): Promise<{ files: FileCandidate[]; skipped: SkippedFile[]; scopes: Scope[] }> {
  const matcher = options.glob ? globToRegExp(options.glob) : undefined
  const files: FileCandidate[] = []
  const skipped: SkippedFile[] = []
  const scopes: Scope[] = []
  const seen = new Set<string>()
  const take = (path: string) => {
    if (seen.has(path)) return
    seen.add(path)
    files.push({ path, source: sourceOf(options.root, path) })
  }

  const walk = async (folder: string, base: string) => {
    let entries
    try {
      entries = await readdir(folder, { withFileTypes: true })
    } catch (error) {
      skipped.push({ path: sourceOf(options.root, folder), reason: readFailure(error) })
      return
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && !IGNORED_FOLDERS.has(entry.name)) await walk(path, base)
        continue
      }
      // Dot-files (.env, .npmrc...) hold secrets far more often than documents: a walk never takes them.
      if (entry.name.startsWith('.')) continue
      if (matcher && !matcher.test(relative(base, path).split(sep).join('/'))) continue
      if (entry.isFile()) take(path)
      else if (entry.isSymbolicLink()) await followLink(path, base)
    }
  }
  // A link to a file inside the folder being walked is indexed under the link's path; a link leading out of
  // it (to /etc, to a home folder), to a folder, or nowhere is reported, never read.
  const followLink = async (path: string, base: string) => {
    try {
      const target = await stat(path)
      const [real, root] = await Promise.all([realpath(path), realpath(base)])
      if (real !== root && !real.startsWith(root + sep)) skipped.push({ path: sourceOf(options.root, path), reason: 'link out of the folder (not followed)' })
      else if (target.isFile()) take(path)
      else skipped.push({ path: sourceOf(options.root, path), reason: target.isDirectory() ? 'link to a folder (not followed)' : 'not a regular file' })
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'broken symbolic link' : readFailure(error)
      skipped.push({ path: sourceOf(options.root, path), reason })
    }
  }

  for (const argument of paths) {
    const path = resolve(argument)
    let info
    try {
      info = await stat(path)
    } catch (error) {
      const dangling = (error as NodeJS.ErrnoException).code === 'ENOENT' && (await lstat(path).catch(() => undefined))?.isSymbolicLink()
      skipped.push({ path: sourceOf(options.root, path), reason: dangling ? 'broken symbolic link' : readFailure(error) })
      // A path that is gone may still have chunks: prune covers it as the file (or folder) it was.
      scopes.push({ source: sourceOf(options.root, path), directory: true })
      continue
    }
    scopes.push({ source: sourceOf(options.root, path), directory: info.isDirectory() })
    if (info.isDirectory()) await walk(path, path)
    else if (info.isFile()) take(path)
    else skipped.push({ path: sourceOf(options.root, path), reason: 'not a regular file' })
  }
  return { files, skipped, scopes }
}

/** A file system error as a skip reason a person understands. */
export function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'not found'
  if (code === 'ELOOP') return 'broken symbolic link (loop)'
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  if (code === 'EISDIR') return 'is a folder'
  return `cannot read: ${code ?? (error as Error).message}`
}
