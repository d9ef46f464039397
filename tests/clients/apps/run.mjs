// Runs the Apollo Client and urql checks against the server the world (argv[2], JSON) names:
// one "ok <client>: <check>" line per check passed; the first mismatch of each client and
// exit code 1 when any failed. Whatever a library logs as a warning or error (Graphcache's
// missing keys or guessed fragment matches; Apollo's "Cache data may be lost", missing fields
// while writing a result, deprecations) is a failure too.
import { apollo } from "./apollo.mjs";
import { urql } from "./urql.mjs";

const report = console.error;
const logged = [];
console.warn = console.error = (...parts) => logged.push(parts.map(String).join(" "));

const world = JSON.parse(process.argv[2]);
let failed = false;
for (const [name, checks] of [["apollo", apollo], ["urql", urql]]) {
  const before = logged.length;
  try {
    await checks(world);
  } catch (error) {
    report(`${name}: ${error.stack ?? error}`);
    failed = true;
  }
  for (const line of logged.slice(before)) report(`${name} logged: ${line}`);
  failed ||= logged.length > before;
}
process.exit(failed ? 1 : 0);
