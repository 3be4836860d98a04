import { MemoryBus } from '../../../framework/bus/memory_bus'
import { busConformance } from './bus_conformance'

describe('MemoryBus', () => {
  busConformance(async (options) => new MemoryBus(options))
})
