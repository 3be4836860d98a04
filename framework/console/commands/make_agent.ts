import { makeGenerator } from './make_generator'

/** `langvel make:agent <name> [--force]` */
export default makeGenerator('agent')
