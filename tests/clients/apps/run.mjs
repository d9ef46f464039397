// Runs the Apollo Client and urql checks against the server the world (argv[2], JSON) names:
// one "ok <client>: <check>" line per check; on a mismatch the reason and exit code 1.
// Any console.warn (Graphcache's missing keys, Apollo's "Cache data may be lost") fails too.
import { apollo } from "./apollo.mjs";
import { urql } from "./urql.mjs";

const warnings = [];
console.warn = (...parts) => warnings.push(parts.map(String).join(" "));

const world = JSON.parse(process.argv[2]);
try {
  await apollo(world);
  await urql(world);
  if (warnings.length) throw new Error(`warnings:\n${warnings.join("\n")}`);
} catch (error) {
  console.error(error.stack ?? String(error));
  if (warnings.length) console.error(`warnings:\n${warnings.join("\n")}`);
  process.exit(1);
}
