import type { Provider } from '../contracts/provider'

// Placeholder until the database manager lands (same commit series).
export const databaseProvider: Provider = { name: 'database' }
