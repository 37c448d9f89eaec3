// Prints the README's configuration table rows, generated from the definitions in src/config/:
// `npx tsx scripts/config-table.ts`, then paste them under the table's header.
import { configTable } from '../src/config.js'

console.log(configTable())
