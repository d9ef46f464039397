// Runs the Apollo Client and urql checks against the server the world (argv[2], JSON) names:
// one "ok <client>: <check>" line per check passed; the first mismatch of each client and
// exit code 1 when any failed. Any console.warn (Graphcache's missing keys or guessed
// fragment matches, Apollo's "Cache data may be lost" or deprecations) is a failure too.
import { apollo } from "./apollo.mjs";
import { urql } from "./urql.mjs";

const warnings = [];
console.warn = (...parts) => warnings.push(parts.map(String).join(" "));

const world = JSON.parse(process.argv[2]);
let failed = false;
for (const [name, checks] of [["apollo", apollo], ["urql", urql]]) {
  const before = warnings.length;
  try {
    await checks(world);
  } catch (error) {
    console.error(`${name}: ${error.stack ?? error}`);
    failed = true;
  }
  for (const warning of warnings.slice(before)) console.error(`${name} warned: ${warning}`);
  failed ||= warnings.length > before;
}
process.exit(failed ? 1 : 0);
