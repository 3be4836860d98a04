import { makeGenerator } from './make_generator'

/** `langvel make:state <name> [--force]` */
export default makeGenerator('state')
