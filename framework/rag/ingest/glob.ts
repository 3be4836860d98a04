/**
 * A glob as a regular expression over forward-slash paths: `**` crosses
 * folders, `*` and `?` stay within one, `{md,txt}` picks one of several.
 * Hand-written because Node 20's `path.matchesGlob` is experimental and warns.
 *
 * @example
 * globToRegExp('**\/*.{md,txt}').test('guides/intro.md') // true
 */
export function globToRegExp(glob: string): RegExp {
  let pattern = ''
  let braces = 0
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index]
    if (char === '*') {
      if (glob[index + 1] === '*') {
        index++
        // `**/` also matches no folder at all, so `**/*.md` matches `intro.md`.
        if (glob[index + 1] === '/') {
          index++
          pattern += '(?:.*/)?'
        } else {
          pattern += '.*'
        }
      } else {
        pattern += '[^/]*'
      }
    } else if (char === '?') {
      pattern += '[^/]'
    } else if (char === '{') {
      braces++
      pattern += '(?:'
    } else if (char === '}' && braces > 0) {
      braces--
      pattern += ')'
    } else if (char === ',' && braces > 0) {
      pattern += '|'
    } else {
      pattern += char.replace(/[.+^$()|[\]\\]/g, '\\$&')
    }
  }
  return new RegExp(`^${pattern}$`)
}
