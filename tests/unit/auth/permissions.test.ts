import { hasAllPermissions, hasPermission, permissionMatches } from '../../../framework/auth/permissions'

describe('permission matching', () => {
  // [granted, required, expected]
  const cases: Array<[string, string, boolean]> = [
    // exact
    ['agents.run', 'agents.run', true],
    ['agents.run', 'agents.read', false],
    ['agents.run', 'agents', false],
    ['agents', 'agents.run', false],
    // `*` alone grants everything
    ['*', 'admin', true],
    ['*', 'admin.users.delete', true],
    ['*', 'anything.at.all', true],
    // trailing `.*`: the prefix itself and everything below
    ['admin.*', 'admin', true],
    ['admin.*', 'admin.users', true],
    ['admin.*', 'admin.users.delete', true],
    ['admin.*', 'administrator', false],
    ['admin.*', 'admins.users', false],
    ['admin.*', 'user.admin', false],
    ['admin.users.*', 'admin.users', true],
    ['admin.users.*', 'admin.users.delete', true],
    ['admin.users.*', 'admin', false],
    ['admin.users.*', 'admin.roles', false],
    // `*` in the middle: exactly one segment
    ['api.*.write', 'api.orders.write', true],
    ['api.*.write', 'api.users.write', true],
    ['api.*.write', 'api.write', false],
    ['api.*.write', 'api.orders.items.write', false],
    ['api.*.write', 'api.orders.read', false],
    ['api.*.write', 'web.orders.write', false],
    ['*.read', 'threads.read', true],
    ['*.read', 'read', false],
    ['*.*.write', 'api.orders.write', true],
    // a required permission is literal
    ['admin.*', 'admin.*', true],
    ['admin.users', 'admin.*', false],
    ['*', 'admin.*', true],
    // malformed input never matches
    ['', 'admin', false],
    ['admin..users', 'admin..users', false],
    ['admin.*', 'admin..x', false],
    ['admin.*', '', false],
    ['*', '', false],
    ['api.*.write', 'api..write', false],
  ]

  it.each(cases)('granted %j, required %j -> %s', (granted, required, expected) => {
    expect(permissionMatches(granted, required)).toBe(expected)
  })

  it('grants when any permission of the list covers the required one', () => {
    expect(hasPermission(['agents.read', 'threads.*'], 'threads.all')).toBe(true)
    expect(hasPermission(['agents.read', 'threads.*'], 'agents.run')).toBe(false)
    expect(hasPermission([], 'agents.run')).toBe(false)
    expect(hasPermission(undefined, 'agents.run')).toBe(false)
  })

  it('requires every permission for hasAllPermissions', () => {
    expect(hasAllPermissions(['admin.*', 'api.*.write'], ['admin.users', 'api.orders.write'])).toBe(true)
    expect(hasAllPermissions(['admin.*'], ['admin.users', 'api.orders.write'])).toBe(false)
    expect(hasAllPermissions(['admin.*'], [])).toBe(true)
  })
})
